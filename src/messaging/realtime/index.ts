import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../../logger.js';
import type { MessagingDeps } from '../deps.js';
import { markDelivered } from '../queries/receipts.js';
import { Dispatcher } from './dispatcher.js';
import { StreamHub } from './hub.js';
import { SignalListener } from './listener.js';
import { beat, cameOnline, registerInstance, retireInstance, wentAway } from './presence.js';

export interface Realtime {
  /** GET /events: this user's event stream. */
  events: RequestHandler;
  /** Connects the listener and registers this instance; resolves when events can flow. */
  start(): Promise<void>;
  /** Ends every open stream (so browsers reconnect elsewhere): the first step of a shutdown. */
  closeStreams(): void;
  stop(): Promise<void>;
  hub: StreamHub;
}

/**
 * Server-Sent Events for the messaging module. Changes are announced on a PostgreSQL channel by
 * the transaction that made them; every instance listens once and fans out to its own streams.
 */
export function createRealtime(deps: MessagingDeps, connectionString: string, log: Logger): Realtime {
  const instanceId = randomUUID();
  const background = (what: string, work: Promise<unknown>) => void work.catch((err) => log.warn({ err }, what));
  const hub = new StreamHub(
    (userId) => background('presence update failed', cameOnline(deps.db, instanceId, userId)),
    (userId) => background('presence update failed', wentAway(deps.db, instanceId, userId)),
  );
  const dispatcher = new Dispatcher(deps, hub, log);
  // After a gap in listening, pages refresh what they show: they may have missed events.
  const listener = new SignalListener(connectionString, log, (signal) => dispatcher.handle(signal), () => {
    for (const userId of hub.connectedUsers()) hub.send(userId, 'resync', '<div></div>');
  });
  let heartbeat: NodeJS.Timeout | undefined;

  const events: RequestHandler = (req, res) => {
    const user = deps.currentUser(req);
    if (!user) return void res.status(401).type('text').send('Please log in first.');
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    // Jittered, so a restart does not bring every browser back in the same second.
    res.write(`retry: ${2000 + Math.floor(Math.random() * 3000)}\n\n`);
    const stream = { userId: user.id, res };
    hub.add(stream);
    req.on('close', () => hub.remove(stream));
    // An open page is where messages are delivered.
    background('marking delivered failed', markDelivered(deps.db, user.id));
  };

  return {
    events,
    hub,
    async start() {
      await registerInstance(deps.db, instanceId);
      await listener.start();
      heartbeat = setInterval(() => background('instance heartbeat failed', beat(deps.db, instanceId)), 15_000);
      heartbeat.unref();
    },
    closeStreams: () => hub.closeAll(),
    async stop() {
      clearInterval(heartbeat);
      hub.closeAll();
      await listener.stop();
      await retireInstance(deps.db, instanceId, hub.connectedUsers()).catch((err) => log.warn({ err }, 'could not retire instance'));
    },
  };
}

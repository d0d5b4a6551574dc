import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../../logger.js';
import type { MessagingDeps } from '../deps.js';
import type { MessagingDb } from '../schema.js';
import { deliveredTo } from '../seen.js';
import { Dispatcher } from './dispatcher.js';
import { MAX_STREAMS_PER_PERSON, StreamHub, type Stream } from './hub.js';
import { ConnectLimiter } from '../../http/connect-limiter.js';
import { SessionGuard } from './session-guard.js';
import { SignalListener } from './listener.js';
import { PeopleCache } from './people-cache.js';
import { openStreamBody } from './stream-body.js';
import { registerStream, unregisterStream } from './stream-queries.js';
import { beat, cameOnline, registerInstance, retireInstance, wentAway } from './presence-queries.js';

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
export function createRealtime(
  deps: MessagingDeps,
  connectionString: string,
  log: Logger,
  options: { connectLimiter?: ConnectLimiter; heartbeatMs?: number; livePeople?: PeopleCache; deliveryDb?: MessagingDb } = {},
): Realtime {
  const livePeople = options.livePeople ?? new PeopleCache(deps.people);
  const instanceId = randomUUID();
  const background = (what: string, work: Promise<unknown>) => void work.catch((err) => log.warn({ err }, what));
  const hub = new StreamHub(
    (userId) => background('presence update failed', cameOnline(deps.db, instanceId, userId)),
    (userId) => background('presence update failed', wentAway(deps.db, instanceId, userId)),
    // Called from the heartbeat's timer, once the guard below exists.
    (streams) => background('session check failed', guard.checkAll(streams)),
    undefined,
    options.heartbeatMs,
  );
  const guard = new SessionGuard(hub, deps.sessions, log);
  const dispatcher = new Dispatcher(deps, hub, log, guard, livePeople, options.deliveryDb);
  // After a gap in listening, pages refresh what they show: they may have missed events. Sessions
  // may have ended unheard too: every stream's is checked.
  const listener = new SignalListener(connectionString, log, (signal) => dispatcher.handle(signal), () => {
    livePeople.clear();
    for (const userId of hub.connectedUsers()) hub.send(userId, 'resync', '<div></div>');
    background('session check failed', guard.checkAll(hub.all()));
  });
  const limiter = options.connectLimiter ?? new ConnectLimiter();
  let heartbeat: NodeJS.Timeout | undefined;

  const events: RequestHandler = (req, res) => {
    const user = deps.currentUser(req);
    const session = deps.sessions.of(req);
    if (!user || !session) return void res.status(401).type('text').send('Please log in first.');
    // A flood of opens is refused before it costs a query or a stream (the door already cost two
    // primary-key reads: the session and the user).
    const wait = limiter.take(user.id);
    if (wait !== undefined) {
      res.set({ 'Retry-After': String(wait), Connection: 'close' });
      return void res.status(429).type('text').send('Too many live connections opened. Try again shortly.');
    }
    const body = openStreamBody(req, res);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    // Jittered, so a restart does not bring every browser back in the same second.
    body.write(`retry: ${2000 + Math.floor(Math.random() * 3000)}\n\n`);
    const alreadyHere = hub.has(user.id);
    const stream: Stream = { id: randomUUID(), userId: user.id, timeZone: user.time_zone ?? undefined, sessionKey: session.key, res, body };
    hub.add(stream);
    // The page learns its stream's name, to say what it shows (POST /messages/view).
    hub.sendTo(stream, 'hello', stream.id);
    guard.watch(stream, session.endsAt);
    // The cap across instances: the registry ends the person's oldest streams past it, wherever
    // they are (the signal reaches this instance too). The stream is already open meanwhile.
    const registered = registerStream(deps.db, stream.id, user.id, instanceId, MAX_STREAMS_PER_PERSON).then(
      (ended) => {
        for (const id of ended) {
          const old = hub.find(user.id, id);
          if (old) hub.close(old);
        }
        return true;
      },
      (err) => {
        log.warn({ err }, 'could not register an event stream');
        return false;
      },
    );
    // 'close' on the response fires however the stream ends: the browser went, or we closed it.
    res.on('close', () => {
      guard.forget(stream);
      hub.remove(stream);
      void registered.then((ok) => ok && background('could not unregister an event stream', unregisterStream(deps.db, stream.id)));
    });
    // An open page is where messages are delivered (a person's further pages add nothing new).
    if (!alreadyHere) background('marking delivered failed', deliveredTo(deps.db, user.id));
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
      dispatcher.stop();
      hub.closeAll();
      await listener.stop();
      await retireInstance(deps.db, instanceId, hub.connectedUsers()).catch((err) => log.warn({ err }, 'could not retire instance'));
    },
  };
}

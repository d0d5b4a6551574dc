import type { Logger } from '../../logger.js';
import type { StreamSessions } from '../deps.js';
import type { Stream, StreamHub } from './hub.js';

/** setTimeout's longest delay; a session further off is simply checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Sessions checked per query on a heartbeat. */
const CHECK_BATCH = 1000;

/**
 * Keeps every event stream no longer alive than the session that opened it:
 * - when the host says a person's sessions changed (a logout, a password change, "end other
 *   sessions", a suspension: a signal every instance hears), that person's streams here hold
 *   their events, their sessions are checked, and the ended ones close before anything more is
 *   written to them;
 * - each stream has a timer at the moment its session would expire, and then it is checked;
 * - each heartbeat checks every stream's session again, in a few queries for all of them.
 * A check that cannot reach the database closes the streams it was checking: they reconnect,
 * and their session is checked again at the door.
 */
export class SessionGuard {
  private readonly timers = new Map<Stream, NodeJS.Timeout>();

  constructor(
    private readonly hub: StreamHub,
    private readonly sessions: StreamSessions,
    private readonly log: Logger,
  ) {}

  watch(stream: Stream, endsAt: Date): void {
    this.schedule(stream, endsAt);
  }

  forget(stream: Stream): void {
    clearTimeout(this.timers.get(stream));
    this.timers.delete(stream);
  }

  /** A person's sessions changed somewhere: hold their streams here until each is checked. */
  async sessionsChanged(userId: number): Promise<void> {
    const streams = this.hub.streamsOf(userId);
    if (streams.length === 0) return;
    this.hub.hold(streams);
    await this.check(streams);
  }

  /** Checks every given stream's session (on the heartbeat: all of them). */
  async checkAll(streams: readonly Stream[]): Promise<void> {
    for (let i = 0; i < streams.length; i += CHECK_BATCH) await this.check(streams.slice(i, i + CHECK_BATCH));
  }

  private async check(streams: readonly Stream[]): Promise<void> {
    const open = streams.filter((s) => !s.closed);
    if (open.length === 0) return;
    let alive;
    try {
      alive = await this.sessions.alive([...new Set(open.map((s) => s.sessionKey))]);
    } catch (err) {
      this.log.warn({ err, streams: open.length }, 'could not check sessions of event streams; closing them');
      for (const stream of open) this.end(stream);
      return;
    }
    for (const stream of open) {
      const session = alive.get(stream.sessionKey);
      if (!session || session.userId !== stream.userId) {
        this.end(stream);
        continue;
      }
      this.hub.release(stream);
      this.schedule(stream, session.endsAt);
    }
  }

  private end(stream: Stream): void {
    this.forget(stream);
    this.hub.close(stream);
  }

  private schedule(stream: Stream, endsAt: Date): void {
    if (stream.closed) return;
    clearTimeout(this.timers.get(stream));
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, endsAt.getTime() - Date.now()));
    const timer = setTimeout(() => {
      this.timers.delete(stream);
      this.check([stream]).catch((err) => this.log.warn({ err }, 'session check failed'));
    }, delay);
    timer.unref();
    this.timers.set(stream, timer);
  }
}

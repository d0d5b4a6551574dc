import os from 'node:os';

type Release = () => void;

/** A first-come, first-served queue of `size` turns. */
class Turns {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  get idle(): boolean {
    return this.busy === 0 && this.waiting.length === 0;
  }

  take(): Promise<Release> {
    return new Promise((resolve) => {
      const grant = () => {
        this.busy += 1;
        let released = false;
        resolve(() => {
          // A release called twice (a finally after a catch) must not free a second turn.
          if (released) return;
          released = true;
          this.busy -= 1;
          this.waiting.shift()?.();
        });
      };
      if (this.busy < this.size && this.waiting.length === 0) grant();
      else this.waiting.push(grant);
    });
  }
}

/**
 * Who may decode an image, and when. Decoding is the one costly step of an upload (a few KB of PNG
 * can unpack to tens of megapixels), so a person gets one image at a time (held from reading it
 * in to the end of its decode: a second upload of theirs waits unread, its bytes left in the
 * socket), and the instance runs only a few decodes at once, whoever asks, so pages keep the CPU
 * they need. libvips runs in libuv's thread pool (4 threads by default), shared with password
 * hashing: the slots stay below that.
 */
export class DecodeGate {
  private readonly instance: Turns;
  private readonly people = new Map<number, Turns>();

  constructor(slots: number) {
    this.instance = new Turns(slots);
  }

  /** This person's turn: one image of theirs at a time, in this instance. */
  async person(id: number): Promise<Release> {
    let turns = this.people.get(id);
    if (!turns) {
      turns = new Turns(1);
      this.people.set(id, turns);
    }
    const release = await turns.take();
    const own = turns;
    return () => {
      release();
      // The map holds only people with an image in hand or waiting.
      if (own.idle && this.people.get(id) === own) this.people.delete(id);
    };
  }

  /** One of the instance's few decoding slots: taken once the image is in hand, just for the decode. */
  slot(): Promise<Release> {
    return this.instance.take();
  }
}

/** Half the cores (at least one, at most two): the rest serve pages and PostgreSQL. */
export const DECODE_SLOTS = Math.max(1, Math.min(2, Math.floor(os.availableParallelism() / 2)));

/** The process's gate, shared by message files and profile photos. */
export const decodeGate = new DecodeGate(DECODE_SLOTS);

/** Where two people stand, seen from "me". Pure rules about connection rows. */
export type ConnectionState = 'self' | 'none' | 'connected' | 'sent' | 'received';

export interface PairRow {
  requested_by: number;
  status: 'pending' | 'accepted';
}

export function pairOf(a: number, b: number): { low: number; high: number } {
  return a < b ? { low: a, high: b } : { low: b, high: a };
}

export function stateFor(me: number, other: number, row: PairRow | null | undefined): ConnectionState {
  if (me === other) return 'self';
  if (!row) return 'none';
  if (row.status === 'accepted') return 'connected';
  return row.requested_by === me ? 'sent' : 'received';
}

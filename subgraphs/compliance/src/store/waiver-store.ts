import { randomUUID } from 'node:crypto';
import type { FrameworkId } from '../frameworks.js';

export interface Waiver {
  id: string;
  framework: FrameworkId;
  controlId: string;
  subjectKey: string;
  reason: string;
  owner: string;
  expiresAt: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

/** One change to the waivers, with who made it. */
export interface WaiverChange {
  waiverId: string;
  action: 'GRANTED' | 'REVOKED';
  by: string;
  at: string;
}

export type WaiverGrant = Omit<Waiver, 'id' | 'revokedAt' | 'revokedBy'>;

/**
 * Waivers and their change log: every grant and revocation, with who made it. Two implementations:
 * in the process (the embedded stack without Redis: lost on restart) and Redis (shared by replicas,
 * kept across restarts). Waivers are never deleted: they are the audit trail of accepted risk.
 */
export interface WaiverStore {
  grant(input: WaiverGrant): Promise<Waiver>;
  /** Ends a waiver now (once; a second revocation changes nothing). null: no such waiver. */
  revoke(id: string, by: string, at: string): Promise<Waiver | null>;
  list(): Promise<Waiver[]>;
  /** Every change, oldest first. */
  log(): Promise<WaiverChange[]>;
  close(): Promise<void>;
}

/** Whether a waiver covers results at `at`: granted by then, not yet expired or revoked. */
export function isActive(w: Waiver, at: Date): boolean {
  const t = at.toISOString();
  return w.createdAt <= t && w.expiresAt > t && (w.revokedAt === null || w.revokedAt > t);
}

/** The waivers active at one time, by control and subject: built once per request, looked up per result. */
export class ActiveWaivers {
  private readonly byTarget = new Map<string, Waiver>();

  constructor(waivers: Iterable<Waiver>, at: Date) {
    for (const w of waivers) {
      if (!isActive(w, at)) continue;
      const key = targetKey(w.framework, w.controlId, w.subjectKey);
      const prior = this.byTarget.get(key);
      // Of overlapping waivers, the one granted first is shown (a stable answer).
      if (!prior || w.createdAt < prior.createdAt) this.byTarget.set(key, w);
    }
  }

  get size(): number {
    return this.byTarget.size;
  }

  covering(framework: FrameworkId, controlId: string, subjectKey: string): Waiver | null {
    return this.byTarget.get(targetKey(framework, controlId, subjectKey)) ?? null;
  }
}

const targetKey = (framework: string, controlId: string, subjectKey: string) => JSON.stringify([framework, controlId, subjectKey]);

export class MemoryWaiverStore implements WaiverStore {
  private readonly waivers = new Map<string, Waiver>();
  private readonly changes: WaiverChange[] = [];

  async grant(input: WaiverGrant): Promise<Waiver> {
    const waiver: Waiver = { ...input, id: randomUUID(), revokedAt: null, revokedBy: null };
    this.waivers.set(waiver.id, waiver);
    this.changes.push({ waiverId: waiver.id, action: 'GRANTED', by: input.createdBy, at: input.createdAt });
    return { ...waiver };
  }

  async revoke(id: string, by: string, at: string): Promise<Waiver | null> {
    const waiver = this.waivers.get(id);
    if (!waiver) return null;
    if (waiver.revokedAt === null) {
      waiver.revokedAt = at;
      waiver.revokedBy = by;
      this.changes.push({ waiverId: id, action: 'REVOKED', by, at });
    }
    return { ...waiver };
  }

  async list(): Promise<Waiver[]> {
    return [...this.waivers.values()].map((w) => ({ ...w }));
  }

  async log(): Promise<WaiverChange[]> {
    return [...this.changes];
  }

  async close(): Promise<void> {}
}

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

/** Waivers and their change log. In memory: not shared between processes and lost on restart (see the README). */
export class MemoryWaiverStore {
  private readonly waivers = new Map<string, Waiver>();
  private readonly changes: WaiverChange[] = [];

  grant(input: Omit<Waiver, 'id' | 'revokedAt' | 'revokedBy'>): Waiver {
    const waiver: Waiver = { ...input, id: randomUUID(), revokedAt: null, revokedBy: null };
    this.waivers.set(waiver.id, waiver);
    this.changes.push({ waiverId: waiver.id, action: 'GRANTED', by: input.createdBy, at: input.createdAt });
    return waiver;
  }

  revoke(id: string, by: string, at: string): Waiver | null {
    const waiver = this.waivers.get(id);
    if (!waiver) return null;
    if (waiver.revokedAt === null) {
      waiver.revokedAt = at;
      waiver.revokedBy = by;
      this.changes.push({ waiverId: id, action: 'REVOKED', by, at });
    }
    return waiver;
  }

  list(): Waiver[] {
    return [...this.waivers.values()];
  }

  log(): WaiverChange[] {
    return [...this.changes];
  }

  /** The active waiver at `now`: granted before it, not yet expired or revoked of a control and subject, if any. */
  active(framework: FrameworkId, controlId: string, subjectKey: string, now: Date): Waiver | null {
    const t = now.toISOString();
    for (const w of this.waivers.values()) {
      if (w.framework === framework && w.controlId === controlId && w.subjectKey === subjectKey && w.createdAt <= t && w.expiresAt > t && (w.revokedAt === null || w.revokedAt > t)) return w;
    }
    return null;
  }
}

import type { Actor } from './actor';

/** A timer as the instance workflow holds it and its WF_TIMER record stores it. */
export interface TimerRecord {
  timer_id: string;
  instance_id: string;
  name: string;
  fire_at: string;
  on_fire: Record<string, unknown>;
  status: 'PENDING' | 'FIRING' | 'FIRED' | 'CANCELLED' | 'FAILED';
  source: 'definition' | 'api';
  on_enter: string | null;
  /** Who set an API timer: its actions act with their roles when it fires. A definition's own timers act as the system. */
  set_by?: Actor;
  /** When it was armed; a pause shifts its deadline by the paused time after this. */
  set_at?: string;
  fired_at?: string | null;
  cancelled_at?: string | null;
  reason?: string | null;
  /** The business calendar (code, pinned version) its delay counts in; absent: wall-clock time. */
  calendar?: string;
  calendar_version?: number;
}

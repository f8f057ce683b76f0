export type Priority = 'low' | 'medium' | 'high' | 'urgent';

/** The flat `task` JSON of a WF_TASK entity. */
export interface TaskRecord {
  task_id: string;
  instance_id: string;
  title: string;
  body: string;
  /** CANCELLED: closed without an outcome by an operator's cancel, move or migration. */
  state: 'OPEN' | 'CLAIMED' | 'COMPLETED' | 'CANCELLED';
  assignee_role: string | null;
  assignee_user_id: string | null;
  priority: Priority;
  due_at: string | null;
  sla_at: string;
  created_at: string;
  claimed_at: string | null;
  completed_at: string | null;
  completed_by: string | null;
  outcome: string | null;
  notes: string | null;
  escalation_count: number;
  escalated_at: string | null;
  escalation_history: Array<Record<string, unknown>>;
  reassigned_at?: string | null;
  reassigned_by?: string | null;
  /** Overdue levels the sweep reached (1 = an hour late, 2 = four hours) and when the next one falls due. */
  overdue_level?: number;
  overdue_check_at?: string | null;
  cancelled_at?: string | null;
  /** The business calendar (code, pinned version) its due time counts in; absent: wall-clock time. */
  calendar?: string;
  calendar_version?: number;
}

/** A closed task takes no claim, completion, escalation or overdue check. */
export const taskClosed = (task: Pick<TaskRecord, 'state'>) => task.state === 'COMPLETED' || task.state === 'CANCELLED';

// The shapes the model reads out of an ASL definition (states, tasks, gated and distributed Maps,
// how a Task's Resource runs): types only, so every file can use them without importing asl.ts.

export type StateDef = Record<string, unknown> & { Type?: string };
export type MachineDef = { StartAt: string; States: Record<string, StateDef>; TimeoutSeconds?: number; QueryLanguage?: string };

export interface TaskStateInfo {
  name: string;
  resource: string;
  definition: StateDef;
  /** Names of the Map/Parallel states this Task sits in, innermost last. */
  enclosing: string[];
}

export interface StateInfo {
  name: string;
  type: string;
  definition: StateDef;
  enclosing: string[];
}

export interface ParsedDefinition {
  raw: MachineDef;
  states: Map<string, StateInfo>;
  tasks: Map<string, TaskStateInfo>;
  /** Top-level TimeoutSeconds, enforced by the model. */
  timeoutSeconds?: number;
  /** Maps whose iterations wait for a slot (MaxConcurrencyPath, see map-concurrency.ts). */
  gatedMaps: Set<string>;
  /** Distributed Maps: each runs its items as child executions of its ItemProcessor (distributed-map.ts). */
  distributedMaps: Map<string, DistributedMapInfo>;
}

export interface DistributedMapInfo {
  name: string;
  /** The map run's label in the children's ARNs. */
  label: string;
  /** The ItemProcessor as a machine of its own, and the type of its executions. */
  processor: ParsedDefinition;
  definition: string;
  executionType: 'STANDARD' | 'EXPRESS';
}

/** How a Task's Resource is run. */
export type TaskKind = 'lambda' | 'lambda:invoke' | 'states:startExecution' | 'other';
export type IntegrationPattern = 'request-response' | 'wait-for-task-token' | 'sync' | 'sync:2';

export interface ResourceInfo {
  kind: TaskKind;
  pattern: IntegrationPattern;
  /** For history events: `lambda` / `invoke.waitForTaskToken` as AWS reports them. */
  resourceType: string;
  resourceName: string;
}

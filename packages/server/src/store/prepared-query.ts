/**
 * Queries built once and run many times. Building and compiling a Kysely query takes more CPU than
 * SQLite takes to run a simple one, so the hot paths (recording deliveries, authenticating a session,
 * loading a request, a callout's configuration) compile theirs once and run them with new values: one
 * SQL text, which the SQLite adapter also keeps as one prepared statement.
 */
import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type { Executor } from './store.ts';

/** A query compiled once per SQL dialect; `execute` runs it with `values` in the places of its slots. */
export interface PreparedQuery<Values extends readonly unknown[], Row> {
  execute(executor: Executor, values: Values): Promise<QueryResult<Row>>;
  /** The first row, or undefined. */
  first(executor: Executor, values: Values): Promise<Row | undefined>;
}

/** Marks a value slot while the query is built; never sent to a database. */
class Slot {
  readonly index: number;
  constructor(index: number) {
    this.index = index;
  }
}

/** A compiled query and, for each of its parameters, the slot that fills it or its constant. */
interface Plan<Row> {
  compiled: CompiledQuery<Row>;
  steps: Array<{ slot: number } | { constant: unknown }>;
}

/**
 * Prepares `build(db, slot)`, where each `slot(i)` stands for `values[i]` and any other value is a constant
 * of the query. It is compiled on first use with the dialect of the executor running it (the store's or a
 * transaction's), and that compilation serves every later call on that dialect. A slot that would not be
 * sent as a parameter (folded into the SQL text, where no later value could replace it) is refused then.
 */
export function prepareQuery<Values extends readonly unknown[], Row>(
  build: (db: Executor, slot: <I extends number>(index: I) => Values[I]) => Compilable<Row>,
): PreparedQuery<Values, Row> {
  const byDialect = new Map<unknown, Plan<Row>>();

  function plan(executor: Executor): Plan<Row> {
    const dialect = executor.getExecutor().adapter.constructor;
    const known = byDialect.get(dialect);
    if (known) return known;
    let used = 0;
    const compiled = build(executor, <I extends number>(index: I) => {
      used++;
      return new Slot(index) as unknown as Values[I];
    }).compile();
    const steps: Plan<Row>['steps'] = compiled.parameters.map((parameter) => (parameter instanceof Slot ? { slot: parameter.index } : { constant: parameter }));
    if (steps.filter((step) => 'slot' in step).length !== used) throw new Error(`prepareQuery: a value slot did not become a parameter of ${compiled.sql}`);
    const made = { compiled, steps };
    byDialect.set(dialect, made);
    return made;
  }

  function execute(executor: Executor, values: Values): Promise<QueryResult<Row>> {
    const { compiled, steps } = plan(executor);
    const parameters = steps.map((step) => ('slot' in step ? values[step.slot] : step.constant));
    return executor.executeQuery<Row>({ ...compiled, parameters });
  }

  return {
    execute,
    async first(executor, values) {
      return (await execute(executor, values)).rows[0];
    },
  };
}

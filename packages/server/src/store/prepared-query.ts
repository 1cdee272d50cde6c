/**
 * Queries built once and run many times. Building and compiling a Kysely query takes more CPU than
 * SQLite takes to run a simple one, so the hot loops (the delivery worker records every attempt)
 * compile their queries up front and run them with new values: one SQL text, which the SQLite adapter
 * also keeps as one prepared statement.
 */
import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type { Executor } from './store.ts';

/** A query compiled once; `execute` runs it with `values` in the places of its value slots. */
export interface PreparedQuery<Values extends readonly unknown[], Row> {
  readonly sql: string;
  execute(executor: Executor, values: Values): Promise<QueryResult<Row>>;
}

/** Marks a value slot while the query is built; never sent to a database. */
class Slot {
  readonly index: number;
  constructor(index: number) {
    this.index = index;
  }
}

/**
 * Compiles `build(slot)` once for the dialect of `db`. Each `slot(i)` stands for `values[i]`; any other
 * value in the query is a constant of it. Throws at preparation if a slot was folded into the SQL text
 * instead of becoming a parameter (it could not be replaced later).
 */
export function prepareQuery<Values extends readonly unknown[], Row>(
  db: Executor,
  build: (slot: <I extends number>(index: I) => Values[I]) => Compilable<Row>,
): PreparedQuery<Values, Row> {
  let used = 0;
  const compiled: CompiledQuery<Row> = build(<I extends number>(index: I) => {
    used++;
    return new Slot(index) as unknown as Values[I];
  }).compile();
  // For each parameter: the index of the value that fills it, or its constant.
  const plan: Array<{ slot: number } | { constant: unknown }> = compiled.parameters.map((parameter) => (parameter instanceof Slot ? { slot: parameter.index } : { constant: parameter }));
  if (plan.filter((step) => 'slot' in step).length !== used) throw new Error(`prepareQuery: a value slot did not become a parameter of ${compiled.sql}`);
  return {
    sql: compiled.sql,
    execute(executor, values) {
      const parameters = plan.map((step) => ('slot' in step ? values[step.slot] : step.constant));
      return executor.executeQuery<Row>({ ...compiled, parameters });
    },
  };
}

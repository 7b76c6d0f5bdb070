/** The turn of the event loop now ending, resolved once its I/O callbacks have all run; undefined between turns. */
let ending: Promise<void> | undefined;

/**
 * Resolves at the end of this turn of the event loop (its check phase), together with every other caller of this
 * turn, in the order they asked: what is answered then is written together rather than as each request is read. On
 * one machine, each answer written alone costs its client a wake-up; together, the memory broker delivers 1.5× as much
 * (BENCHMARKS.md, issue 25).
 */
export function endOfTurn(): Promise<void> {
  return (ending ??= new Promise((resolve) =>
    setImmediate(() => {
      ending = undefined;
      resolve();
    }),
  ));
}

/** Polls `condition` until it holds, failing after `deadline` ms: for state that no event announces. */
export async function until(condition: () => boolean | Promise<boolean>, deadline = 5_000): Promise<void> {
  const giveUp = Date.now() + deadline;
  while (!(await condition())) {
    if (Date.now() > giveUp) {
      throw new Error(`Condition not met within ${deadline} ms: ${condition}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** What a broker logs when messages move to the dead letters: every broker says it the same way. */
export function deadLetterWarning(key: string, count: number, maxDeliveries: number): string {
  return (
    `${count} message${count === 1 ? '' : 's'} of "${key}" went unacknowledged through ${maxDeliveries} deliveries ` +
    'and moved to its dead letters (PistachioAcknowledgedQueue.deadLetters)'
  );
}

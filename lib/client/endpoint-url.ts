/** The endpoint's URL split at its query; a fragment, which fetch never sends, is dropped. */
function split(url: string | URL): { path: string; query: string } {
  const [, path, query = ''] = /^([^?#]*)(?:\?([^#]*))?/.exec(String(url)) as RegExpExecArray;
  return { path, query };
}

/**
 * `GET {url}?max=N&ack=r1,r2&after=id`: a poll asking for a batch of up to `max`, acknowledging `receipts`, and asking
 * for what a broadcast channel holds after the cursor `after` (each optional). The cursor goes in the query, not in a
 * `Last-Event-ID` header, which would make a cross-origin poll need a CORS preflight.
 */
export function pollUrl(url: string | URL, max: number | undefined, receipts: readonly string[], after?: string): string {
  const { path, query } = split(url);
  const params = [
    query,
    max === undefined ? '' : `max=${max}`,
    receipts.length === 0 ? '' : `ack=${receipts.map(encodeURIComponent).join(',')}`,
    after === undefined ? '' : `after=${encodeURIComponent(after)}`,
  ].filter((param) => param !== '');
  return params.length === 0 ? path : `${path}?${params.join('&')}`;
}

/** `{url}/{receipt}`, the endpoint's own query kept: where a `DELETE` acknowledges one receipt. */
export function receiptUrl(url: string | URL, receipt: string): string {
  const { path, query } = split(url);
  return `${path}/${encodeURIComponent(receipt)}${query === '' ? '' : `?${query}`}`;
}

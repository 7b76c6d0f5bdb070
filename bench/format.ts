/** How the bench's tables write their figures. */

export const rate = (value: number) => `${Math.round(value).toLocaleString('en-US')}/s`;
export const ratio = (value: number, ceiling: number) => `${Math.round((100 * value) / ceiling)} %`;
export const times = (value: number, of: number) => `${(value / of).toFixed(1)}×`;
export const ms = (value: number) => `${value.toFixed(2)} ms`;
export const kb = (bytes: number) => `${(bytes / 1_024).toFixed(1)} KB`;
export const count = (value: number) => value.toLocaleString('en-US');
export const micros = (value: number) => `${Math.round(value)} µs`;

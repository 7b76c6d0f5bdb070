import { LoggerService } from '@nestjs/common';

/** A logger that keeps what the app logs, so that a test can count the lines it looks for. */
export class LogCapture implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  private readonly expected: { level: string; pattern: RegExp; resolve(): void }[] = [];

  log(message: unknown): void {
    this.keep('log', message);
  }

  warn(message: unknown): void {
    this.keep('warn', message);
  }

  error(message: unknown): void {
    this.keep('error', message);
  }

  /** How many lines of `level` match `pattern`. */
  count(level: string, pattern: RegExp): number {
    return this.lines.filter((line) => line.level === level && pattern.test(line.message)).length;
  }

  /** Resolves once a line of `level` matching `pattern` is logged (at once if one was). */
  logged(level: string, pattern: RegExp): Promise<void> {
    if (this.count(level, pattern) > 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.expected.push({ level, pattern, resolve }));
  }

  private keep(level: string, message: unknown): void {
    const line = { level, message: String(message) };
    this.lines.push(line);
    this.expected.filter((e) => e.level === level && e.pattern.test(line.message)).forEach((e) => e.resolve());
  }
}

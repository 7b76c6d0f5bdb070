import { LoggerService } from '@nestjs/common';

/** A logger that keeps what the app logs, so that a test can count the lines it looks for. */
export class LogCapture implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];

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

  private keep(level: string, message: unknown): void {
    this.lines.push({ level, message: String(message) });
  }
}

import { describe, expect, it } from '@jest/globals';
import { HttpServer, StreamableFile } from '@nestjs/common';
import { answerBody } from './answer-body.js';

const adapter = (type: string) => ({ getType: () => type }) as HttpServer;

/** A Fastify reply's headers, as answerBody sees them. */
function reply(headers: Record<string, string> = {}) {
  return { getHeader: (name: string) => headers[name], header: (name: string, value: string) => (headers[name] = value), headers };
}

describe('answerBody', () => {
  const body = Buffer.from('hello');

  it('gives Fastify the Buffer as it is, typed unless the reply has a type already', () => {
    const untyped = reply();
    expect(answerBody(adapter('fastify'), untyped, body, 'text/plain')).toBe(body);
    expect(untyped.headers).toEqual({ 'Content-Type': 'text/plain' });

    const typed = reply({ 'Content-Type': 'application/x-app' });
    answerBody(adapter('fastify'), typed, body, 'text/plain');
    expect(typed.headers).toEqual({ 'Content-Type': 'application/x-app' });
  });

  it('gives Express a stream of the body with its type and length, as send() would answer 304 or JSON', () => {
    const answered = answerBody(adapter('express'), {}, body, 'text/plain');
    expect(answered).toBeInstanceOf(StreamableFile);
    expect((answered as StreamableFile).getHeaders()).toMatchObject({ type: 'text/plain', length: 5 });
  });
});

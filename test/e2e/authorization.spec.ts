import { afterEach, describe, expect, it } from '@jest/globals';
import { CanActivate, ExecutionContext, Injectable, Module, UnauthorizedException } from '@nestjs/common';
import { PistachioModule } from '../../lib/index.js';
import { request } from '../support/http-client.js';
import { startApp, TestApp } from '../support/start-app.js';
import { adapters } from '../support/adapters.js';

interface User {
  id: string;
}

/** The app's own authentication, which the guard below uses: tokens are `token-<user id>` in this test. */
@Injectable()
class Tokens {
  userOf(token: string | undefined): User | undefined {
    const id = /^Bearer token-(\w+)$/.exec(token ?? '')?.[1];
    return id ? { id } : undefined;
  }
}

@Module({ providers: [Tokens], exports: [Tokens] })
class AuthModule {}

/** Authenticates each poll, as an app's Passport guard would: sets `request.user`, or refuses with 401. */
@Injectable()
class TokenGuard implements CanActivate {
  constructor(private readonly tokens: Tokens) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest();
    request.user = this.tokens.userOf(request.headers.authorization);
    if (!request.user) {
      throw new UnauthorizedException('Send Authorization: Bearer <token>');
    }
    return true;
  }
}

class DenyAll implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

describe.each(adapters)('Authorization of polls on $name', (adapter) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  it('serves each user their own inbox only: a guard authenticates, authorize decides per endpoint', async () => {
    app = await startApp([
      PistachioModule.forRootAsync({
        imports: [AuthModule],
        path: '/inbox',
        guards: [TokenGuard],
        useFactory: () => ({
          namespace: 'inboxes',
          authorize: (poll, endpoint) => endpoint === `user-${(poll.user as User).id}`,
        }),
      }),
    ], { adapter });
    await app.pistachio.publish('user-42', 'for 42');
    await app.pistachio.publish('user-7', 'for 7');
    const as42 = { headers: { Authorization: 'Bearer token-42' } };

    expect(await request(`${app.url}/inbox/user-7`, as42)).toMatchObject({ status: 403 });
    expect(await request(`${app.url}/inbox/user-42`)).toMatchObject({ status: 401 });
    expect(await request(`${app.url}/inbox/user-42`, as42)).toMatchObject({ status: 200, body: 'for 42' });
    expect(await app.pistachio.length('user-7')).toBe(1);
  });

  it('keeps a queued message when authorize refuses, and answers 403 with no-store', async () => {
    app = await startApp([PistachioModule.forRoot({ namespace: 'refusing', authorize: async () => false })], { adapter });
    await app.pistachio.publish('kept', 'still here');

    const answer = await request(`${app.url}/push_messages/kept`);
    expect(answer.status).toBe(403);
    expect(answer.headers['cache-control']).toBe('no-store');
    // A refused poll learns nothing of the registration, not even that it acknowledges nothing.
    expect((await request(`${app.url}/push_messages/kept?ack=1.AAAAAAAAAAAAAAAA`)).status).toBe(403);
    expect(await app.pistachio.length('kept')).toBe(1);
  });

  it("is guarded by the app's global guards with no module option", async () => {
    app = await startApp([PistachioModule.forRoot({ namespace: 'global-guard' })], { guards: [new DenyAll()], adapter });
    await app.pistachio.publish('kept', 'still here');

    const answer = await request(`${app.url}/push_messages/kept`);
    expect(answer.status).toBe(403);
    expect(answer.headers['cache-control']).toBe('no-store');
    // A refused poll learns nothing of the registration, not even that it acknowledges nothing.
    expect((await request(`${app.url}/push_messages/kept?ack=1.AAAAAAAAAAAAAAAA`)).status).toBe(403);
    expect(await app.pistachio.length('kept')).toBe(1);
  });

  it('takes guard instances in its guards option', async () => {
    app = await startApp([PistachioModule.forRoot({ namespace: 'guard-instance', guards: [new DenyAll()] })], { adapter });
    await app.pistachio.publish('kept', 'still here');

    expect((await request(`${app.url}/push_messages/kept`)).status).toBe(403);
    expect(await app.pistachio.length('kept')).toBe(1);
  });
});

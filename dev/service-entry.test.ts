import path from 'node:path';
import { serviceArgs } from './service-entry';

describe('serviceArgs', () => {
  it('runs the TypeScript through tsx when nothing is said', () => {
    const args = serviceArgs('api', 'api/server.ts');
    expect(args).toEqual(['--import', expect.stringMatching(/^file:.*tsx/), 'api/server.ts']);
  });

  it('runs the compiled file under the compiled root', () => {
    expect(serviceArgs('worker', 'workers/order-worker.ts', { compiledRoot: '/srv/dist' })).toEqual(
      ['/srv/dist/workers/order-worker.js'],
    );
  });

  it("profiles into a folder of the service's own name, before the entry point", () => {
    const args = serviceArgs('api-2', 'api/server.ts', {
      compiledRoot: '/srv/dist',
      cpuProfileDir: 'profiles',
    });
    expect(args).toEqual([
      '--cpu-prof',
      `--cpu-prof-dir=${path.resolve('profiles', 'api-2')}`,
      '/srv/dist/api/server.js',
    ]);
  });
});

import express from 'express';
import request from 'supertest';
import { addServerTiming, serverTiming, serverTimingMs, serverTimings } from './server-timing';

describe('serverTimingMs', () => {
  test.each([
    ['ours alone', 'app;dur=5012.3', 5012.3],
    ['ours after a proxy’s', 'edge;dur=3, app;dur=41.0', 41],
    ['ours before another', 'app;dur=7,db;dur=2', 7],
  ])('reads %s', (_name, header, ms) => {
    expect(serverTimingMs(header)).toBe(ms);
  });

  test.each([
    ['no header', undefined],
    ['another metric only', 'db;dur=2'],
    ['a metric whose name merely ends like ours', 'webapp;dur=9'],
    ['ours without a duration', 'app'],
  ])('finds nothing in %s', (_name, header) => {
    expect(serverTimingMs(header)).toBeUndefined();
  });
});

test('serverTimings reads every metric with a duration, the first of a name standing', () => {
  expect(
    serverTimings('app;dur=62.4, validation;dur=0.8, cache;desc="hit", payment;dur=51, app;dur=1'),
  ).toEqual({ app: 62.4, validation: 0.8, payment: 51 });
  expect(serverTimings('db;dur=, edge;dur=x')).toEqual({});
  expect(serverTimings(undefined)).toEqual({});
});

describe('serverTiming', () => {
  const appWith = (parts: [string, number][]) =>
    express()
      .use(serverTiming())
      .get('/', (_req, res) => {
        for (const [name, ms] of parts) addServerTiming(res, name, ms);
        res.sendStatus(204);
      });

  test('names this API first, then the parts a route added, in order', async () => {
    const response = await request(
      appWith([
        ['validation', 1.26],
        ['payment', 40],
      ]),
    ).get('/');
    const header = response.headers['server-timing'];
    expect(header).toMatch(/^app;dur=\d+\.\d, validation;dur=1\.3, payment;dur=40\.0$/);
    expect(serverTimingMs(header)).toBeGreaterThanOrEqual(0);
  });

  test('a route that adds nothing answers with its own time alone', async () => {
    const response = await request(appWith([])).get('/');
    expect(response.headers['server-timing']).toMatch(/^app;dur=\d+\.\d$/);
  });
});

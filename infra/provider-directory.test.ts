import type { Models } from './db';
import type { KeptByChange } from './directory-changes';
import { createProviderDirectory } from './provider-directory';

/** Provider and secret models that count their reads (no secrets: none is opened). */
function countingModels() {
  const reads = { providers: 0, secrets: 0 };
  const models = {
    Provider: {
      findById: (id: string) => ({
        lean: async () => {
          reads.providers++;
          return { _id: id, vertical: 'grocery', name: 'Store', createdAt: new Date(0) };
        },
      }),
    },
    ProviderSecret: {
      find: () => ({
        sort: () => ({
          lean: async () => {
            reads.secrets++;
            return [];
          },
        }),
      }),
    },
  } as unknown as Pick<Models, 'Provider' | 'ProviderSecret'>;
  return { models, reads };
}

function keep(current: () => boolean) {
  const announced: string[] = [];
  const byChange: KeptByChange = {
    keepMs: 600_000,
    current,
    announce: async (subject) => void announced.push(subject),
  };
  return { byChange, announced };
}

test('a provider is read once and kept while news of changes is current', async () => {
  const { models, reads } = countingModels();
  const directory = createProviderDirectory(models, keep(() => true).byChange);
  await directory.lookup('p1');
  await directory.lookup('p1');
  await directory.lookup('p1');
  expect(reads).toEqual({ providers: 1, secrets: 1 });
});

test('while polls for changes fail, every lookup reads afresh', async () => {
  const { models, reads } = countingModels();
  let current = true;
  const directory = createProviderDirectory(models, keep(() => current).byChange);
  await directory.lookup('p1');
  current = false;
  await directory.lookup('p1');
  await directory.lookup('p1');
  expect(reads.providers).toBe(3);
  current = true;
  await directory.lookup('p1');
  expect(reads.providers).toBe(3); // the last fresh read is kept
});

test('a change made here is forgotten at once and announced; one announced elsewhere is forgotten', async () => {
  const { models, reads } = countingModels();
  const { byChange, announced } = keep(() => true);
  const directory = createProviderDirectory(models, byChange);
  await directory.lookup('p1');
  await directory.changed('p1');
  expect(announced).toEqual(['provider:p1']);
  await directory.lookup('p1');
  expect(reads.providers).toBe(2);
  directory.forget('p1');
  await directory.lookup('p1');
  expect(reads.providers).toBe(3);
  expect(directory.holdsAny()).toBe(true);
  directory.forgetAll();
  expect(directory.holdsAny()).toBe(false);
});

/**
 * Builds, before any test file starts, the cloud assemblies of the two
 * example configs that most workflow and stack tests simulate (a cold build
 * takes 15-20 s each; sim/artifact/build.ts caches them on disk). A test's
 * timeout then measures the test, not a one-time build. Configs that only a
 * few tests derive are built when first used.
 */
import { loadConfig } from '../../lib/config/load.ts';
import { assemblyFor } from '../../sim/artifact/build.ts';
import { EXAMPLE_CONFIG_PATH, THREE_SERVICES_CONFIG_PATH } from './config.ts';

export default async function setup(): Promise<void> {
  for (const path of [EXAMPLE_CONFIG_PATH, THREE_SERVICES_CONFIG_PATH]) await assemblyFor(loadConfig(path));
}

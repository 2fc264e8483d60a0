/**
 * A phase function's code: its bundle from the one esbuild run of the
 * process (lib/bundling/phase-bundles.ts), staged by CDK as a bundled asset.
 * CDK still decides whether to bundle (a stack outside
 * `aws:cdk:bundling-stacks` skips it, as the tests' synths do) and hashes
 * the output, so the asset hash changes exactly when the bundle does.
 */
import { copyFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AssetHashType, type BundlingOptions, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { BUNDLE_FILE, bundleDirOf, entryOf, phaseBundles, ROOT } from '../bundling/phase-bundles.ts';
import type { PhaseName } from './phases.ts';

/**
 * Bundling options of one phase. Their JSON (the image, the entry, the
 * define) is what CDK keys its asset cache on, and hashes a skipped bundle
 * by: distinct per phase and config.
 */
class PhaseBundling implements BundlingOptions {
  /** Never run: the local bundling always succeeds or throws. */
  readonly image = DockerImage.fromRegistry('dummy');
  readonly entry: string;
  readonly local: ILocalBundling;
  readonly define: Readonly<Record<string, string>>;

  constructor(phase: PhaseName, define: Readonly<Record<string, string>>) {
    this.define = define;
    this.entry = relative(ROOT, entryOf(phase));
    this.local = {
      tryBundle: (outputDir: string) => {
        copyFileSync(join(bundleDirOf(phaseBundles(define), phase), BUNDLE_FILE), join(outputDir, BUNDLE_FILE));
        return true;
      },
    };
  }
}

/**
 * The code of a phase function; its Handler is `index.handler`. `define`
 * goes into every bundle of the build (see phaseBundles), so all functions
 * of a stack share one esbuild run.
 */
export function phaseCode(phase: PhaseName, define: Readonly<Record<string, string>>): Code {
  return Code.fromAsset(ROOT, { assetHashType: AssetHashType.OUTPUT, bundling: new PhaseBundling(phase, define) });
}

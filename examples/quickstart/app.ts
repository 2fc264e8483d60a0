/** Entry point of the quick start's `cdk synth` / `cdk deploy` (cdk.json in this folder). */
import { buildQuickstartApp } from './quickstart-app.ts';
import { QUICKSTART } from './topology.ts';

buildQuickstartApp(QUICKSTART);

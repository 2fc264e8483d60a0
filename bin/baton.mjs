#!/usr/bin/env node
// `baton` CLI: runs cli/baton.ts through tsx, so the CLI and the handlers share their TypeScript modules.
import { register } from 'tsx/esm/api';

register();
await import('../cli/baton.ts');

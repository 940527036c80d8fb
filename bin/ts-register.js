// Loads the repository's TypeScript through bin/ts-hooks.js (esbuild, without keepNames): import it
// first, `node --import ./bin/ts-register.js file.ts`, or from a script as bin/clearhouse.js does.
// Stack traces keep pointing at .ts lines through the inline source maps.
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./ts-hooks.js', import.meta.url);

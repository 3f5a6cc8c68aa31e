// Lets an example written as users write it (`import ... from 'tensormem'`) run
// against the package built in this repository, without installing it:
//   node --import ./examples/js/resolve-tensormem.mjs examples/js/guide-example.mjs
import { register } from 'node:module';
import { packageUrl } from './package.mjs';

const hooks = `export async function resolve(specifier, context, next) {
  return specifier === 'tensormem' ? { url: ${JSON.stringify(packageUrl)}, shortCircuit: true }
                                   : next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

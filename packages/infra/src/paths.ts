import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the Docker build context and the Lambdas' project root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

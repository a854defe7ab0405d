import { join } from 'node:path';
import { lambdaBundleSuite } from '../../../../tools/lambda-bundle-suite';

lambdaBundleSuite(join(__dirname, '..'));

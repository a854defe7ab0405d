import { appTestConfig } from '../../../tools/vitest.app.mjs';

export default appTestConfig;

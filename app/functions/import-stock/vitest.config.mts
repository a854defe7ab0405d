import { mergeConfig } from 'vitest/config';
import { appTestConfig, quietPowertools } from '../../../tools/vitest.app.mjs';

export default mergeConfig(appTestConfig, quietPowertools);

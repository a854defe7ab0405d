import { defineConfig, mergeConfig } from 'vitest/config';
import { appTestConfig } from '../../../tools/vitest.app.mjs';

// No database here: only the settings logic, with Secrets Manager stubbed.
export default mergeConfig(appTestConfig, defineConfig({ test: { globalSetup: [] } }));

/** Days the pipelines' build and step logs are kept. */
export const PIPELINE_LOG_RETENTION = 30;

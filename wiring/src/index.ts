/**
 * The wiring check: what each workload's code does in AWS, held against what the synthesized
 * assembly allows and provides.
 */
export {};

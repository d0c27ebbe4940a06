/** The Redis version imds reports (HELLO, INFO): the release whose behaviour it follows. */
export const REDIS_VERSION = "7.0.15";
export const IMDS_VERSION = "0.1.0";

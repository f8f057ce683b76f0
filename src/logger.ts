import pino from 'pino';

/** One structured logger for the process; stderr so CLI commands keep stdout for data. */
export const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));

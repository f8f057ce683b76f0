import pino from 'pino';
import { traceLogFields } from './tracing';

/**
 * One structured logger for the process; stderr so CLI commands keep stdout for data. With tracing on, a line
 * logged on a request's path (in the API or in an activity) carries its trace id and correlation id.
 */
export const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', mixin: traceLogFields }, pino.destination(2));

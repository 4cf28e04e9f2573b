/**
 * Every hostile submission of the grader's own test suite, with its expected outcome (see
 * each file): `hostile.test.ts` grades them all in one class run, next to a correct submission.
 */
import type { HostileFixture } from './fixture.js';
import { channelFixtures } from './channel.js';
import { fileNetworkFixtures } from './files-network.js';
import { processFixtures } from './processes.js';
import { resourceFixtures } from './resources.js';
import { submissionFileFixtures } from './submission-files.js';
import { tamperingFixtures } from './tampering.js';
import { valueFixtures } from './values.js';

export type { HostileFixture } from './fixture.js';

/** All of them, by category. */
export const HOSTILE: readonly HostileFixture[] = [...resourceFixtures, ...processFixtures, ...fileNetworkFixtures, ...valueFixtures, ...tamperingFixtures, ...channelFixtures, ...submissionFileFixtures];

// The runtime client: everything the VS Code glue and the CLI need, with no vscode import.
export { findPython, pythonCandidates, probePython, PythonNotFoundError } from './python';
export type { FoundPython, PythonCandidate, PythonSource } from './python';
export { runDoctor, DoctorError } from './doctor';
export type { DoctorReport, PackageStatus, CudaDevice, MissingPackage } from './doctor';
export { startTraining, resumeTraining, TrainingRun } from './training';
export type { StartTrainingOptions, TrainingExit, TrainingRunEvents } from './training';
export { setRuntimeDir, runtimeDir, runtimeEnv, killTree } from './process';
export * from '../../protocol/trainEvents';

// Request Administration > Workflows > New / Modify: a workflow's ordered steps, each with its role,
// approver, Notify flag, Step Code and (for TMC and custom steps) status key.
import { useEffect, useRef, useState } from 'react';
import {
  APPROVER_TYPES,
  EVENT_ROLES,
  NUMERIC_STATUS_ROLES,
  ROLE_CODES,
  ROLE_CODE_LABELS,
  api,
  type ApproverType,
  type RoleCode,
  type Workflow,
  type WorkflowStepInput,
} from '../api.ts';
import { CheckboxField, ErrorBanner, Loading, SelectField, TextField, useLoader } from '../components.tsx';
import { useSubmission, type FieldErrors } from '../forms.ts';
import { navigate, paths } from '../router.tsx';
import { setFlash } from '../session.tsx';
import { RequestAdminFrame } from './request-admin-pages.tsx';

/** The approval status name a step shows when the admin leaves Step Name blank (the server's defaults). */
const DEFAULT_STEP_NAMES: Record<Exclude<RoleCode, 'CUSTOM'>, string> = {
  REQ_MANAGER: 'Pending Request Manager Approval',
  REQ_PROCESSOR1: 'Pending Travel Agency Update',
  REQ_PROCESSOR_2: 'Pending Request Administrator Approval',
  REQ_PROCESSOR3: 'Pending Request Auditor Approval',
  CO_APPROVE: 'Pending Cost Object Approval',
  AUTH_APPROVE: 'Pending Authorized Approver Approval',
  BDGT_APPROVE: 'Pending Budget Approval',
  RISK_PROCESSOR: 'Pending Risk Manager Approval',
  EXTERNAL_VALIDATION: 'Pending External Validation',
};

const APPROVER_LABELS: Record<ApproverType, string> = {
  MANAGER: "Traveler's manager",
  USER: 'A named user',
  GROUP: 'An approver group',
  CONNECTOR: 'Application connector',
};

const ROLE_OPTIONS = ROLE_CODES.map((code) => ({ value: code, label: code === 'CUSTOM' ? 'Custom role' : `${ROLE_CODE_LABELS[code]} (${code})` }));

/** One step while it is edited; `key` keeps React's identity stable across moves. */
interface StepDraft {
  key: number;
  roleCode: RoleCode;
  customRole: string;
  name: string;
  approverType: ApproverType;
  approverUserId: string;
  approverGroup: string;
  connectorId: string;
  notify: boolean;
  stepCode: string;
  statusKey: string;
}

const STEP_FIELDS = ['roleCode', 'customRole', 'name', 'approverType', 'approverUserId', 'approverGroup', 'connectorId', 'notify', 'stepCode', 'statusKey'];
const STEP_CODE = /^[A-Za-z0-9_-]{1,20}$/;

/** Whether the server's error names a field the editor shows: the workflow's, or one of a step's (`steps.2.stepCode`). */
function isEditorField(field: string): boolean {
  return ['name', 'approvedStepCode'].includes(field) || STEP_FIELDS.some((key) => /^steps\.\d+\./.test(field) && field.endsWith(`.${key}`));
}

function toDraft(step: Workflow['steps'][number], key: number): StepDraft {
  return {
    key,
    roleCode: step.roleCode,
    customRole: step.customRole ?? '',
    name: step.name,
    approverType: step.approverType,
    approverUserId: step.approverUserId ?? '',
    approverGroup: step.approverGroup ?? '',
    connectorId: step.connectorId ?? '',
    notify: step.notify,
    stepCode: step.stepCode ?? '',
    statusKey: NUMERIC_STATUS_ROLES.includes(step.roleCode) ? step.statusKey : '',
  };
}

function toInput(step: StepDraft): WorkflowStepInput {
  const input: WorkflowStepInput = { roleCode: step.roleCode, approverType: step.approverType, notify: step.notify };
  if (step.roleCode === 'CUSTOM') input.customRole = step.customRole.trim();
  const defaultName = step.roleCode === 'CUSTOM' ? `Pending ${step.customRole.trim()}` : DEFAULT_STEP_NAMES[step.roleCode];
  if (step.name.trim() !== '' && step.name.trim() !== defaultName) input.name = step.name.trim();
  if (step.approverType === 'USER') input.approverUserId = step.approverUserId;
  if (step.approverType === 'GROUP') input.approverGroup = step.approverGroup;
  if (step.approverType === 'CONNECTOR') input.connectorId = step.connectorId;
  if (step.stepCode.trim() !== '') input.stepCode = step.stepCode.trim();
  if (NUMERIC_STATUS_ROLES.includes(step.roleCode) && step.statusKey.trim() !== '') input.statusKey = step.statusKey.trim();
  return input;
}

/** What the seed's publish rules make of entering this step, shown under it. */
function publishHint(step: StepDraft, index: number): string {
  const role = step.roleCode === 'CUSTOM' ? step.customRole.trim() || 'YourRole' : EVENT_ROLES[step.roleCode];
  const type = `statusChange.PENDING.${role}`;
  if (step.roleCode === 'EXTERNAL_VALIDATION') return `Entering this step always publishes ${type} with stepCode EXTVAL, and waits for the connector to approve or send back.`;
  const code = step.stepCode.trim() === '' ? 'null' : step.stepCode.trim();
  if (index === 0) {
    return step.notify
      ? `Submitting publishes ${type} with stepCode ${code}.`
      : `Submitting publishes ${type} with stepCode null (this step is not configured for notifications).`;
  }
  return step.notify ? `Entering this step publishes ${type} with stepCode ${code}.` : 'Entering this step publishes no event (Notify is off).';
}

/** New Workflow and Modify Workflow. */
export function WorkflowEditorPage({ companyId, workflowId }: { companyId: string; workflowId: string | null }) {
  const workflow = useLoader<Workflow | null>(`workflow:${companyId}:${workflowId ?? 'new'}`, () =>
    workflowId === null ? Promise.resolve(null) : api.getWorkflow(companyId, workflowId),
  );
  const users = useLoader(`workflow-users:${companyId}`, () => api.listWorkflowUsers(companyId));
  const groups = useLoader(`groups:${companyId}`, () => api.listApproverGroups(companyId));
  const connectors = useLoader(`workflow-connectors:${companyId}`, () => api.listWorkflowConnectors(companyId));
  const nextKey = useRef(1);
  const newStep = (): StepDraft => ({
    key: nextKey.current++,
    roleCode: 'REQ_MANAGER',
    customRole: '',
    name: '',
    approverType: 'MANAGER',
    approverUserId: '',
    approverGroup: '',
    connectorId: '',
    notify: true,
    stepCode: '',
    statusKey: '',
  });
  const [name, setName] = useState('');
  const [approvedStepCode, setApprovedStepCode] = useState('');
  const [steps, setSteps] = useState<StepDraft[]>([]);
  const submission = useSubmission({
    fields: (field) => (isEditorField(field) ? field : undefined),
    checkBanner: 'Correct the highlighted fields.',
    fieldBanner: 'Correct the highlighted field.',
  });
  const { fieldErrors } = submission;

  const loaded = workflow.data;
  useEffect(() => {
    if (loaded === undefined) return;
    if (loaded === null) {
      setSteps([{ key: 0, roleCode: 'REQ_MANAGER', customRole: '', name: '', approverType: 'MANAGER', approverUserId: '', approverGroup: '', connectorId: '', notify: true, stepCode: '', statusKey: '' }]);
      return;
    }
    setName(loaded.name);
    setApprovedStepCode(loaded.approvedStepCode ?? '');
    setSteps(loaded.steps.map((step, index) => toDraft(step, 1000 + index)));
  }, [loaded]);

  function update(index: number, changes: Partial<StepDraft>): void {
    setSteps((current) =>
      current.map((step, at) => {
        if (at !== index) return step;
        const next = { ...step, ...changes };
        // External Validation is answered by its connector; no other step is.
        if (changes.roleCode === 'EXTERNAL_VALIDATION') next.approverType = 'CONNECTOR';
        else if (changes.roleCode !== undefined && next.approverType === 'CONNECTOR') next.approverType = 'MANAGER';
        return next;
      }),
    );
  }

  function move(index: number, by: -1 | 1): void {
    setSteps((current) => {
      const target = index + by;
      if (target < 0 || target >= current.length) return current;
      const next = [...current];
      [next[index], next[target]] = [next[target]!, next[index]!];
      return next;
    });
  }

  function check(): FieldErrors {
    const errors: FieldErrors = {};
    if (name.trim() === '') errors['name'] = 'Enter the workflow name.';
    if (approvedStepCode.trim() !== '' && !STEP_CODE.test(approvedStepCode.trim())) errors['approvedStepCode'] = 'A Step Code is 1 to 20 letters, digits, "_" or "-".';
    steps.forEach((step, index) => {
      const field = (key: string) => `steps.${index}.${key}`;
      if (step.roleCode === 'CUSTOM' && !/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(step.customRole.trim())) errors[field('customRole')] = 'Enter the role name in letters and digits, e.g. TravelDesk.';
      if (step.approverType === 'USER' && step.approverUserId === '') errors[field('approverUserId')] = 'Choose the user who approves this step.';
      if (step.approverType === 'GROUP' && step.approverGroup === '') errors[field('approverGroup')] = 'Choose the approver group.';
      if (step.approverType === 'CONNECTOR' && step.connectorId === '') errors[field('connectorId')] = 'Choose the application connector.';
      if (step.stepCode.trim() !== '' && !STEP_CODE.test(step.stepCode.trim())) errors[field('stepCode')] = 'A Step Code is 1 to 20 letters, digits, "_" or "-", e.g. PENDMGRA.';
      if (NUMERIC_STATUS_ROLES.includes(step.roleCode) && step.statusKey.trim() !== '' && !/^\d{1,10}$/.test(step.statusKey.trim())) errors[field('statusKey')] = 'The status key is numeric, e.g. 002003.';
    });
    return errors;
  }

  function save(): Promise<void> {
    return submission.submit(
      async () => {
        const saved = await api.saveWorkflow(
          companyId,
          { name: name.trim(), approvedStepCode: approvedStepCode.trim() === '' ? null : approvedStepCode.trim(), steps: steps.map(toInput) },
          workflowId ?? undefined,
        );
        setFlash(paths.workflows(companyId), `Workflow “${saved.name}” saved.`);
        navigate(paths.workflows(companyId));
      },
      { check: check() },
    );
  }

  const title = workflowId === null ? 'New Workflow' : 'Modify Workflow';
  const userOptions = [{ value: '', label: 'Choose a user' }, ...(users.data ?? []).map((user) => ({ value: user.id, label: user.name }))];
  const groupNames = (groups.data ?? []).map((group) => group.name);
  const connectorOptions = [{ value: '', label: 'Choose a connector' }, ...(connectors.data ?? []).map((connector) => ({ value: connector.id, label: connector.name }))];

  return (
    <RequestAdminFrame companyId={companyId} title={title} crumbs={[{ label: 'Workflows', to: paths.workflows(companyId) }]}>
      <ErrorBanner message={workflow.error ?? users.error} />
      <Loading what="the workflow" loader={workflow} />
      {workflow.data !== undefined ? (
        <form
          noValidate
          aria-label={title}
          onSubmit={(event) => {
            event.preventDefault();
            void save();
          }}
        >
          <div className="card">
            <ErrorBanner message={submission.error} />
            <div className="grid-2">
              <TextField label="Workflow Name" value={name} onChange={setName} error={fieldErrors['name']} required maxLength={100} />
              <TextField
                label="Approved Step Code"
                value={approvedStepCode}
                onChange={setApprovedStepCode}
                error={fieldErrors['approvedStepCode']}
                maxLength={20}
                hint="The stepCode of this workflow's statusChange.APPROVED events; leave blank for null."
              />
            </div>
          </div>
          <div className="card">
            <div className="card-title-row is-centered">
              <h2>Steps</h2>
              <button type="button" className="button" onClick={() => setSteps((current) => [...current, newStep()])}>
                Add Step
              </button>
            </div>
            {steps.length === 0 ? <p className="muted">No steps: requests in this workflow are approved as soon as they are submitted.</p> : null}
            <ol className="steps">
              {steps.map((step, index) => {
                const field = (key: string) => fieldErrors[`steps.${index}.${key}`];
                const numeric = NUMERIC_STATUS_ROLES.includes(step.roleCode);
                const approverOptions = (step.roleCode === 'EXTERNAL_VALIDATION' ? (['CONNECTOR'] as const) : APPROVER_TYPES.filter((type) => type !== 'CONNECTOR')).map(
                  (type) => ({ value: type, label: APPROVER_LABELS[type] }),
                );
                const defaultName = step.roleCode === 'CUSTOM' ? `Pending ${step.customRole.trim() || '…'}` : DEFAULT_STEP_NAMES[step.roleCode];
                return (
                  <li key={step.key}>
                    <fieldset className="step">
                      <legend>Step {index + 1}</legend>
                      <div className="step-tools">
                        <button type="button" className="button button-small" aria-label={`Move step ${index + 1} up`} disabled={index === 0} onClick={() => move(index, -1)}>
                          ↑ Up
                        </button>
                        <button
                          type="button"
                          className="button button-small"
                          aria-label={`Move step ${index + 1} down`}
                          disabled={index === steps.length - 1}
                          onClick={() => move(index, 1)}
                        >
                          ↓ Down
                        </button>
                        <button type="button" className="button button-small button-danger" aria-label={`Remove step ${index + 1}`} onClick={() => setSteps((current) => current.filter((_, at) => at !== index))}>
                          Remove
                        </button>
                      </div>
                      <div className="grid-3">
                        <SelectField label="Role" value={step.roleCode} options={ROLE_OPTIONS} onChange={(roleCode) => update(index, { roleCode })} error={field('roleCode')} />
                        {step.roleCode === 'CUSTOM' ? (
                          <TextField label="Custom Role Name" value={step.customRole} onChange={(customRole) => update(index, { customRole })} error={field('customRole')} required maxLength={40} placeholder="e.g. TravelDesk" />
                        ) : null}
                        <TextField label="Step Name" value={step.name} onChange={(value) => update(index, { name: value })} error={field('name')} maxLength={100} placeholder={defaultName} />
                      </div>
                      <div className="grid-3">
                        <SelectField label="Approver" value={step.approverType} options={approverOptions} onChange={(approverType) => update(index, { approverType })} error={field('approverType')} />
                        {step.approverType === 'USER' ? (
                          <SelectField label="Approver User" value={step.approverUserId} options={userOptions} onChange={(approverUserId) => update(index, { approverUserId })} error={field('approverUserId')} />
                        ) : null}
                        {step.approverType === 'GROUP' ? (
                          <SelectField
                            label="Approver Group"
                            value={step.approverGroup}
                            options={[
                              { value: '', label: groupNames.length === 0 ? 'No groups yet: create one first' : 'Choose a group' },
                              ...[...new Set([...groupNames, ...(step.approverGroup !== '' ? [step.approverGroup] : [])])].map((group) => ({ value: group, label: group })),
                            ]}
                            onChange={(approverGroup) => update(index, { approverGroup })}
                            error={field('approverGroup')}
                          />
                        ) : null}
                        {step.approverType === 'CONNECTOR' ? (
                          <SelectField label="Connector" value={step.connectorId} options={connectorOptions} onChange={(connectorId) => update(index, { connectorId })} error={field('connectorId')} />
                        ) : null}
                      </div>
                      <div className="grid-3 step-codes">
                        <CheckboxField
                          label="Notify"
                          checked={step.notify}
                          onChange={(notify) => update(index, { notify })}
                          hint="Publish a statusChange event when a request enters this step."
                        />
                        <TextField
                          label="Step Code"
                          value={step.stepCode}
                          onChange={(stepCode) => update(index, { stepCode })}
                          error={field('stepCode')}
                          maxLength={20}
                          placeholder="e.g. PENDMGRA"
                        />
                        {numeric ? (
                          <TextField
                            label="Status Key"
                            value={step.statusKey}
                            onChange={(statusKey) => update(index, { statusKey })}
                            error={field('statusKey')}
                            maxLength={10}
                            placeholder={step.roleCode === 'CUSTOM' ? '002100' : '002003'}
                            hint="The numeric currentApprovalStatus of TMC and custom steps."
                          />
                        ) : null}
                      </div>
                      <p className="step-hint">{publishHint(step, index)}</p>
                    </fieldset>
                  </li>
                );
              })}
            </ol>
          </div>
          <div className="action-bar">
            <button type="submit" className="button button-primary" disabled={submission.busy}>
              {submission.busy ? 'Saving…' : 'Save'}
            </button>
            <button type="button" className="button" onClick={() => navigate(paths.workflows(companyId))}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}
    </RequestAdminFrame>
  );
}

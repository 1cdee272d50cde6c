/**
 * The sample connector's demo data, standing in for the back-end system a real connector would query: an
 * attendee directory (business guests, spouses, employees and healthcare professionals with the HCP custom
 * fields of spec §1), a three-level connected list of locations (country → region → city) and a catalogue
 * of projects (cost objects) that the Launch External URL page offers. Every person, company and number is
 * made up.
 */
import type { AttendeeInput } from '@patchbay/connector-sdk';

/** An attendee of the directory. `externalId`, `firstName` and `lastName` are always set. */
export type DemoAttendee = Readonly<AttendeeInput>;

/** The attendee types of the directory: what a Fetch Attendee service's attendee types would be configured with. */
export const ATTENDEE_TYPES = Object.freeze({
  BUSGUEST: 'Business guest',
  SPOUSE: 'Spouse or partner',
  EMPLOYEE: 'Employee',
  HCP: 'Healthcare professional',
} as const);

/** An attendee type code (at most 8 characters, as Concur's). */
export type AttendeeTypeCode = keyof typeof ATTENDEE_TYPES;

function person(externalId: string, attendeeTypeCode: AttendeeTypeCode, firstName: string, lastName: string, company: string, title: string, extra: Partial<AttendeeInput> = {}): DemoAttendee {
  return Object.freeze({ externalId, attendeeTypeCode, firstName, lastName, company, title, ...extra });
}

/** The HCP fields (spec §1): license, state of license, specialty, recipient type, NPI, practice address, taxonomy. */
interface Hcp {
  license: string;
  licenseState: string;
  specialty: string;
  npi: string;
  street: string;
  city: string;
  zip: string;
  taxonomy: string;
}

function hcp(externalId: string, firstName: string, middleInitial: string, lastName: string, practice: string, title: string, fields: Hcp): DemoAttendee {
  return person(externalId, 'HCP', firstName, lastName, practice, title, {
    middleInitial,
    suffix: 'MD',
    custom7: fields.license,
    custom8: fields.licenseState,
    custom9: fields.specialty,
    custom13: 'Covered Recipient Physician',
    custom14: fields.npi,
    custom15: fields.street,
    custom18: fields.city,
    custom19: fields.licenseState,
    custom20: fields.zip,
    custom21: fields.taxonomy,
    custom23: `CR-${fields.npi.slice(-6)}`,
  });
}

/** The attendee directory: 41 people. */
export const ATTENDEES: readonly DemoAttendee[] = Object.freeze([
  // Business guests: customers, partners and prospects.
  person('BG-1001', 'BUSGUEST', 'Chris', 'Miller', 'Len Dev', 'CFO'),
  person('BG-1002', 'BUSGUEST', 'Aiko', 'Tanaka', 'Mitsuwa Trading Co.', 'Procurement Director'),
  person('BG-1003', 'BUSGUEST', 'Rafael', 'Oliveira', 'Banco Atlântico', 'Head of Treasury'),
  person('BG-1004', 'BUSGUEST', 'Priya', 'Raman', 'Northwind Analytics', 'VP Engineering', { middleInitial: 'S' }),
  person('BG-1005', 'BUSGUEST', 'Johannes', 'Weber', 'Rheinland Logistik GmbH', 'Managing Director'),
  person('BG-1006', 'BUSGUEST', 'Fatima', 'Al-Sayed', 'Gulf Horizon Holdings', 'Investment Manager'),
  person('BG-1007', 'BUSGUEST', 'Liam', "O'Connor", 'Emerald Isle Ventures', 'Partner'),
  person('BG-1008', 'BUSGUEST', 'Sofia', 'Rossi', 'Lanificio Biellese', 'Head of Sales'),
  person('BG-1009', 'BUSGUEST', 'Wei', 'Zhang', 'Brightline Electronics', 'Supply Chain Lead'),
  person('BG-1010', 'BUSGUEST', 'Olivia', 'Brown', 'Contoso Ltd', 'Account Executive'),
  person('BG-1011', 'BUSGUEST', 'Mateo', 'García', 'Iberia Renovables', 'Project Director'),
  person('BG-1012', 'BUSGUEST', 'Chloé', 'Dubois', 'Atelier Lumière', 'Creative Director'),
  person('BG-1013', 'BUSGUEST', 'Kwame', 'Mensah', 'Accra Digital Hub', 'CEO'),
  person('BG-1014', 'BUSGUEST', 'Emma', 'Johansson', 'Nordvik Shipping AB', 'COO'),
  person('BG-1015', 'BUSGUEST', 'Daniel', 'Kim', 'Han River Capital', 'Senior Analyst', { middleInitial: 'J' }),
  person('BG-1016', 'BUSGUEST', 'Isabella', 'Martínez', 'Contoso Ltd', 'Procurement Manager'),
  person('BG-1017', 'BUSGUEST', 'Noah', 'Williams', 'Fabrikam Inc', 'CTO'),
  person('BG-1018', 'BUSGUEST', 'Anna', 'Kowalska', 'Vistula Software', 'Product Owner'),
  person('BG-1019', 'BUSGUEST', 'Christine', 'Millward', 'Wingtip Toys', 'Senior Buyer'),
  person('BG-1020', 'BUSGUEST', 'Mohammed', 'Haddad', 'Levant Engineering', 'Chief Engineer'),
  person('BG-1021', 'BUSGUEST', 'Grace', 'Lee', 'Fabrikam Inc', 'General Counsel'),
  person('BG-1022', 'BUSGUEST', 'Lukáš', 'Novák', 'Vltava Tech s.r.o.', 'Sales Engineer'),
  // Spouses and partners travelling with guests.
  person('SP-2001', 'SPOUSE', 'Maria', 'Miller', '', ''),
  person('SP-2002', 'SPOUSE', 'Kenji', 'Tanaka', '', ''),
  person('SP-2003', 'SPOUSE', 'Helena', 'Weber', '', ''),
  person('SP-2004', 'SPOUSE', 'Aarav', 'Raman', '', ''),
  person('SP-2005', 'SPOUSE', 'Camille', 'Dubois', '', ''),
  // Colleagues.
  person('EMP-3001', 'EMPLOYEE', 'Jordan', 'Taylor', 'Demo Company', 'Sales Manager'),
  person('EMP-3002', 'EMPLOYEE', 'Samira', 'Khan', 'Demo Company', 'Solutions Architect'),
  person('EMP-3003', 'EMPLOYEE', 'Pedro', 'Álvarez', 'Demo Company', 'Regional Director'),
  person('EMP-3004', 'EMPLOYEE', 'Hannah', 'Schmidt', 'Demo Company', 'Marketing Lead'),
  person('EMP-3005', 'EMPLOYEE', 'Tom', 'Nguyen', 'Demo Company', 'Field Engineer'),
  person('EMP-3006', 'EMPLOYEE', 'Mei', 'Chen', 'Demo Company', 'Controller', { middleInitial: 'L' }),
  // Healthcare professionals (life-sciences companies report spend on them), with the HCP custom fields.
  hcp('HCP-4001', 'Sarah', 'R', 'Goldberg', 'Bay Area Cardiology Group', 'Cardiologist', {
    license: 'A123456', licenseState: 'CA', specialty: 'Cardiovascular Disease', npi: '1902837465',
    street: '450 Sutter Street, Suite 1200', city: 'San Francisco', zip: '94108', taxonomy: '207RC0000X',
  }),
  hcp('HCP-4002', 'James', 'O', 'Okafor', 'Lakeshore Oncology Associates', 'Medical Oncologist', {
    license: '036-118274', licenseState: 'IL', specialty: 'Medical Oncology', npi: '1487630192',
    street: '680 N Lake Shore Drive', city: 'Chicago', zip: '60611', taxonomy: '207RX0202X',
  }),
  hcp('HCP-4003', 'Elena', 'V', 'Petrova', 'Charles River Neurology', 'Neurologist', {
    license: '271845', licenseState: 'MA', specialty: 'Neurology', npi: '1356478201',
    street: '125 Nashua Street', city: 'Boston', zip: '02114', taxonomy: '2084N0400X',
  }),
  hcp('HCP-4004', 'Michael', 'T', 'Chen', 'Pacific Pediatrics', 'Pediatrician', {
    license: 'MD60512345', licenseState: 'WA', specialty: 'Pediatrics', npi: '1629384750',
    street: '1100 9th Avenue', city: 'Seattle', zip: '98101', taxonomy: '208000000X',
  }),
  hcp('HCP-4005', 'Laura', 'M', 'Fischer', 'Hudson Valley Endocrinology', 'Endocrinologist', {
    license: '298417', licenseState: 'NY', specialty: 'Endocrinology, Diabetes & Metabolism', npi: '1780293546',
    street: '19 Baker Avenue', city: 'Poughkeepsie', zip: '12601', taxonomy: '207RE0101X',
  }),
  hcp('HCP-4006', 'Ahmed', 'K', 'Siddiqui', 'Lone Star Family Medicine', 'Family Physician', {
    license: 'Q4821', licenseState: 'TX', specialty: 'Family Medicine', npi: '1548207369',
    street: '2400 W 7th Street', city: 'Austin', zip: '78703', taxonomy: '207Q00000X',
  }),
  hcp('HCP-4007', 'Rebecca', 'A', 'Hall', 'Peachtree Dermatology', 'Dermatologist', {
    license: '067512', licenseState: 'GA', specialty: 'Dermatology', npi: '1093847562',
    street: '3200 Downwood Circle NW', city: 'Atlanta', zip: '30327', taxonomy: '207N00000X',
  }),
  hcp('HCP-4008', 'Carlos', 'E', 'Mendoza', 'Sunshine Orthopedics', 'Orthopedic Surgeon', {
    license: 'ME119283', licenseState: 'FL', specialty: 'Orthopaedic Surgery', npi: '1265748390',
    street: '8940 N Kendall Drive', city: 'Miami', zip: '33176', taxonomy: '207X00000X',
  }),
]);

/** An item of a connected list: its code at its level (no `-`, which joins the levels), its text, its children. */
export interface ListNode {
  readonly code: string;
  readonly text: string;
  readonly children?: readonly ListNode[];
}

function node(code: string, text: string, children?: readonly ListNode[]): ListNode {
  return Object.freeze(children === undefined ? { code, text } : { code, text, children: Object.freeze([...children]) });
}

/**
 * The three-level connected list "Locations": country (level 1) → region (level 2) → city (level 3). A city's
 * full code joins the three with `-`, e.g. `US-W-SF` for San Francisco.
 */
export const LOCATIONS: readonly ListNode[] = Object.freeze([
  node('US', 'United States', [
    node('W', 'West', [
      node('SF', 'San Francisco'),
      node('LA', 'Los Angeles'),
      node('SD', 'San Diego'),
      node('SEA', 'Seattle'),
      node('PDX', 'Portland'),
    ]),
    node('NE', 'Northeast', [node('NYC', 'New York'), node('BOS', 'Boston'), node('PHL', 'Philadelphia')]),
    node('MW', 'Midwest', [node('CHI', 'Chicago'), node('DET', 'Detroit'), node('MSP', 'Minneapolis')]),
    node('S', 'South', [node('ATL', 'Atlanta'), node('MIA', 'Miami'), node('DAL', 'Dallas'), node('HOU', 'Houston'), node('AUS', 'Austin')]),
  ]),
  node('DE', 'Germany', [
    node('N', 'Nord', [node('HAM', 'Hamburg'), node('BRE', 'Bremen'), node('HAJ', 'Hannover')]),
    node('S', 'Süd', [node('MUC', 'München'), node('STR', 'Stuttgart'), node('NUE', 'Nürnberg')]),
    node('W', 'West', [node('CGN', 'Köln'), node('DUS', 'Düsseldorf'), node('FRA', 'Frankfurt am Main')]),
  ]),
  node('FR', 'France', [
    node('IDF', 'Île-de-France', [node('PAR', 'Paris'), node('VER', 'Versailles')]),
    node('ARA', 'Auvergne-Rhône-Alpes', [node('LYS', 'Lyon'), node('GNB', 'Grenoble')]),
    node('PAC', "Provence-Alpes-Côte d'Azur", [node('MRS', 'Marseille'), node('NCE', 'Nice')]),
  ]),
  node('GB', 'United Kingdom', [
    node('ENG', 'England', [node('LON', 'London'), node('MAN', 'Manchester'), node('BRS', 'Bristol')]),
    node('SCT', 'Scotland', [node('EDI', 'Edinburgh'), node('GLA', 'Glasgow')]),
  ]),
]);

/** A project (cost object) a request can be charged to. */
export interface Project {
  /** The code written to the request's custom field (`{ code, value }`). */
  readonly code: string;
  readonly name: string;
  readonly client: string;
  readonly costCenter: string;
  /** The group the page lists it under. */
  readonly department: string;
}

function project(code: string, name: string, client: string, costCenter: string, department: string): Project {
  return Object.freeze({ code, name, client, costCenter, department });
}

/** The project catalogue the Launch External URL page offers. */
export const PROJECTS: readonly Project[] = Object.freeze([
  project('PRJ-1001', 'Apollo ERP rollout', 'Contoso Ltd', 'CC-4100', 'Professional Services'),
  project('PRJ-1002', 'Harbor data migration', 'Nordvik Shipping AB', 'CC-4100', 'Professional Services'),
  project('PRJ-1003', 'Atlas payroll integration', 'Fabrikam Inc', 'CC-4120', 'Professional Services'),
  project('PRJ-1004', 'Helios analytics pilot', 'Northwind Analytics', 'CC-4120', 'Professional Services'),
  project('PRJ-2001', 'Q3 enterprise sales push', 'Internal', 'CC-2200', 'Sales'),
  project('PRJ-2002', 'EMEA partner summit', 'Internal', 'CC-2210', 'Sales'),
  project('PRJ-2003', 'Key account: Mitsuwa Trading', 'Mitsuwa Trading Co.', 'CC-2220', 'Sales'),
  project('PRJ-3001', 'Spring product launch', 'Internal', 'CC-3300', 'Marketing'),
  project('PRJ-3002', 'Trade show: MedTech Europe', 'Internal', 'CC-3310', 'Marketing'),
  project('PRJ-4001', 'Mobile app rewrite', 'Internal', 'CC-5500', 'Engineering'),
  project('PRJ-4002', 'Data center consolidation', 'Internal', 'CC-5510', 'Engineering'),
  project('PRJ-4003', 'Security certification audit', 'Internal', 'CC-5520', 'Engineering'),
  project('PRJ-5001', 'Cardiology advisory board', 'Internal', 'CC-6600', 'Medical Affairs'),
  project('PRJ-5002', 'Clinical investigator meeting', 'Internal', 'CC-6610', 'Medical Affairs'),
]);

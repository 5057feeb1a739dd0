// CBV 2.0 / EPCIS 2.0 words and their URIs (anchoring/core/event_hash/terms.py).

// --- terms: CBV 2.0 / EPCIS 2.0 words and their URIs (anchoring/core/event_hash/terms.py) ------

const CBV = "https://ref.gs1.org/cbv/";
const GS1_VOC = "https://gs1.org/voc/";
export const RDFS = "http://www.w3.org/2000/01/rdf-schema#";

// The prefixes the default EPCIS 2.0 context (epcis-context.jsonld) declares.
export const STANDARD_NAMESPACES = [
  ["epcis", "https://ref.gs1.org/epcis/"], ["cbv", CBV], ["cbvmda", "urn:epcglobal:cbv:mda:"],
  ["gs1", GS1_VOC], ["rdfs", RDFS], ["owl", "http://www.w3.org/2002/07/owl#"],
  ["xsd", "http://www.w3.org/2001/XMLSchema#"], ["dcterms", "http://purl.org/dc/terms/"],
];

export const words = (text) => text.trim().split(/\s+/);
// EPCIS 2.0 §7.4 event types and §7.3.2 actions.
export const EVENT_TYPES = new Set(words(
  "ObjectEvent AggregationEvent TransactionEvent TransformationEvent AssociationEvent"));
export const ACTIONS = new Set(["ADD", "OBSERVE", "DELETE"]);

const vocabulary = (base, terms) => new Map(words(terms).map((term) => [term, base + term]));
// CBV 2.0 §7.1 business steps.
export const BIZ_STEP_URIS = vocabulary(CBV + "BizStep-", `
  accepting arriving assembling collecting commissioning consigning creating_class_instance
  cycle_counting decommissioning departing destroying disassembling dispensing encoding
  entering_exiting holding inspecting installing killing loading other packing picking receiving
  removing repackaging repairing replacing reserving retail_selling sampling sensor_reporting
  shipping staging_outbound stock_taking stocking storing transporting unloading unpacking
  void_shipping`);
// CBV 2.0 §7.2 dispositions.
export const DISPOSITION_URIS = vocabulary(CBV + "Disp-", `
  active available completeness_inferred completeness_verified conformant container_closed
  container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit
  inactive mismatch_class mismatch_instance mismatch_quantity needs_replacement no_pedigree_match
  non_conformant non_sellable_other partially_dispensed recalled reserved retail_sold returned
  sellable_accessible sellable_not_accessible stolen unavailable unknown`);
// CBV 2.0 §7.3 business transaction types, §7.4 source/destination types.
export const BIZ_TRANSACTION_TYPE_URIS = vocabulary(CBV + "BTT-",
  "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt");
export const SOURCE_DESTINATION_TYPE_URIS = vocabulary(CBV + "SDT-",
  "location owning_party possessing_party");
// CBV 2.0 §7.6 sensor measurement components.
export const SENSOR_COMPONENT_URIS = vocabulary(CBV + "Comp-", `
  altitude axial_distance azimuth easting elevation_angle height latitude longitude northing
  polar_angle spherical_radius x y z`);
// GS1 Web Vocabulary gs1:MeasurementType (as listed in the EPCIS 2.0 context), gs1:SensorAlertType.
export const MEASUREMENT_TYPE_URIS = vocabulary(GS1_VOC, `
  AbsoluteHumidity AbsorbedDose AbsorbedDoseRate Acceleration Altitude AmountOfSubstance
  AmountOfSubstancePerUnitVolume Angle AngularAcceleration AngularMomentum AngularVelocity Area
  Capacitance Conductance Conductivity Count Density Dimensionless DoseEquivalent
  DoseEquivalentRate DynamicViscosity ElectricCharge ElectricCurrent ElectricCurrentDensity
  ElectricFieldStrength Energy Exposure Force Frequency Illuminance Inductance Irradiance
  KinematicViscosity Length LinearMomentum Luminance LuminousFlux LuminousIntensity MagneticFlux
  MagneticFluxDensity MagneticVectorPotential Mass MassConcentration MassFlowRate MassPerAreaTime
  MemoryCapacity MolalityOfSolute MolarEnergy MolarMass MolarVolume Power Pressure RadiantFlux
  RadiantIntensity Radioactivity RelativeHumidity Resistance Resistivity SolidAngle SpecificVolume
  Speed SurfaceDensity SurfaceTension Temperature Time Torque Voltage Volume VolumeFlowRate
  VolumeFraction VolumetricFlux Wavenumber`);
export const SENSOR_ALERT_TYPE_URIS = vocabulary(GS1_VOC, "ALARM_CONDITION ERROR_CONDITION");

// CBV 1.x URNs and the CBV 2.0 Web URIs that replace them (CBV 2.0 §8.9.2: Web URI form).
export const LEGACY_CBV_URN_PREFIXES = [
  ["urn:epcglobal:cbv:bizstep:", CBV + "BizStep-"], ["urn:epcglobal:cbv:disp:", CBV + "Disp-"],
  ["urn:epcglobal:cbv:btt:", CBV + "BTT-"], ["urn:epcglobal:cbv:sdt:", CBV + "SDT-"],
  ["urn:epcglobal:cbv:er:", CBV + "ER-"],
];

/** The CBV word tables, for tests that hold them to the Python core's. */
export const TERMS = Object.freeze({
  EVENT_TYPES, ACTIONS, BIZ_STEP_URIS, DISPOSITION_URIS, BIZ_TRANSACTION_TYPE_URIS,
  SOURCE_DESTINATION_TYPE_URIS, SENSOR_COMPONENT_URIS, MEASUREMENT_TYPE_URIS,
  SENSOR_ALERT_TYPE_URIS,
});

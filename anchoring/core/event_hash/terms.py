"""CBV 2.0 / EPCIS 2.0 term-to-URI tables, written into the package as data.

The EPCIS Event Hash ID (CBV 2.0 §8.9.2) puts every CBV value into the pre-hash
string as its full Web URI, even when the event used a bare word from the
default EPCIS 2.0 JSON-LD context (``"bizStep": "shipping"``) or a legacy URN
(``urn:epcglobal:cbv:bizstep:shipping``). The tables below are transcribed
from CBV 2.0 §7 (business vocabularies), the GS1 Web Vocabulary (measurement
and alert types) and the default context ``epcis-context.jsonld`` (prefixes).
Nothing here is loaded at run time; tests check it against the official files.

Changing a table changes hashes of events that use the affected words: this
module belongs to ``anchoring.core`` for that reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

CBV: Final = "https://ref.gs1.org/cbv/"
GS1_VOC: Final = "https://gs1.org/voc/"
EPCIS: Final = "https://ref.gs1.org/epcis/"
RDFS: Final = "http://www.w3.org/2000/01/rdf-schema#"

# The prefixes the default EPCIS 2.0 context (epcis-context.jsonld) declares.
STANDARD_NAMESPACES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "epcis": EPCIS,
        "cbv": CBV,
        "cbvmda": "urn:epcglobal:cbv:mda:",
        "gs1": GS1_VOC,
        "rdfs": RDFS,
        "owl": "http://www.w3.org/2002/07/owl#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "dcterms": "http://purl.org/dc/terms/",
    }
)

# EPCIS 2.0 §7.4 event types.
EVENT_TYPES: Final = frozenset(
    {"ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent"}
)

# EPCIS 2.0 §7.3.2 Action.
ACTIONS: Final = frozenset({"ADD", "OBSERVE", "DELETE"})

# CBV 2.0 §7.1 business steps.
BIZ_STEPS: Final = (
    "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
    "creating_class_instance", "cycle_counting", "decommissioning", "departing", "destroying",
    "disassembling", "dispensing", "encoding", "entering_exiting", "holding", "inspecting",
    "installing", "killing", "loading", "other", "packing", "picking", "receiving", "removing",
    "repackaging", "repairing", "replacing", "reserving", "retail_selling", "sampling",
    "sensor_reporting", "shipping", "staging_outbound", "stock_taking", "stocking", "storing",
    "transporting", "unloading", "unpacking", "void_shipping",
)

# CBV 2.0 §7.2 dispositions.
DISPOSITIONS: Final = (
    "active", "available", "completeness_inferred", "completeness_verified", "conformant",
    "container_closed", "container_open", "damaged", "destroyed", "dispensed", "disposed",
    "encoded", "expired", "in_progress", "in_transit", "inactive", "mismatch_class",
    "mismatch_instance", "mismatch_quantity", "needs_replacement", "no_pedigree_match",
    "non_conformant", "non_sellable_other", "partially_dispensed", "recalled", "reserved",
    "retail_sold", "returned", "sellable_accessible", "sellable_not_accessible", "stolen",
    "unavailable", "unknown",
)

# CBV 2.0 §7.3 business transaction types.
BIZ_TRANSACTION_TYPES: Final = (
    "bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder", "recadv", "rma",
    "testprd", "testres", "upevt",
)

# CBV 2.0 §7.4 source/destination types.
SOURCE_DESTINATION_TYPES: Final = ("location", "owning_party", "possessing_party")

# CBV 2.0 §7.5 error reasons.
ERROR_REASONS: Final = ("did_not_occur", "incorrect_data")

# CBV 2.0 §7.6 sensor measurement components.
SENSOR_COMPONENTS: Final = (
    "altitude", "axial_distance", "azimuth", "easting", "elevation_angle", "height", "latitude",
    "longitude", "northing", "polar_angle", "spherical_radius", "x", "y", "z",
)

# GS1 Web Vocabulary gs1:MeasurementType, as listed in the EPCIS 2.0 context.
MEASUREMENT_TYPES: Final = (
    "AbsoluteHumidity", "AbsorbedDose", "AbsorbedDoseRate", "Acceleration", "Altitude",
    "AmountOfSubstance", "AmountOfSubstancePerUnitVolume", "Angle", "AngularAcceleration",
    "AngularMomentum", "AngularVelocity", "Area", "Capacitance", "Conductance", "Conductivity",
    "Count", "Density", "Dimensionless", "DoseEquivalent", "DoseEquivalentRate",
    "DynamicViscosity", "ElectricCharge", "ElectricCurrent", "ElectricCurrentDensity",
    "ElectricFieldStrength", "Energy", "Exposure", "Force", "Frequency", "Illuminance",
    "Inductance", "Irradiance", "KinematicViscosity", "Length", "LinearMomentum", "Luminance",
    "LuminousFlux", "LuminousIntensity", "MagneticFlux", "MagneticFluxDensity",
    "MagneticVectorPotential", "Mass", "MassConcentration", "MassFlowRate", "MassPerAreaTime",
    "MemoryCapacity", "MolalityOfSolute", "MolarEnergy", "MolarMass", "MolarVolume", "Power",
    "Pressure", "RadiantFlux", "RadiantIntensity", "Radioactivity", "RelativeHumidity",
    "Resistance", "Resistivity", "SolidAngle", "SpecificVolume", "Speed", "SurfaceDensity",
    "SurfaceTension", "Temperature", "Time", "Torque", "Voltage", "Volume", "VolumeFlowRate",
    "VolumeFraction", "VolumetricFlux", "Wavenumber",
)

# GS1 Web Vocabulary gs1:SensorAlertType.
SENSOR_ALERT_TYPES: Final = ("ALARM_CONDITION", "ERROR_CONDITION")


def _vocabulary(base: str, terms: Iterable[str]) -> Mapping[str, str]:
    return MappingProxyType({term: base + term for term in terms})


BIZ_STEP_URIS: Final = _vocabulary(CBV + "BizStep-", BIZ_STEPS)
DISPOSITION_URIS: Final = _vocabulary(CBV + "Disp-", DISPOSITIONS)
BIZ_TRANSACTION_TYPE_URIS: Final = _vocabulary(CBV + "BTT-", BIZ_TRANSACTION_TYPES)
SOURCE_DESTINATION_TYPE_URIS: Final = _vocabulary(CBV + "SDT-", SOURCE_DESTINATION_TYPES)
ERROR_REASON_URIS: Final = _vocabulary(CBV + "ER-", ERROR_REASONS)
SENSOR_COMPONENT_URIS: Final = _vocabulary(CBV + "Comp-", SENSOR_COMPONENTS)
MEASUREMENT_TYPE_URIS: Final = _vocabulary(GS1_VOC, MEASUREMENT_TYPES)
SENSOR_ALERT_TYPE_URIS: Final = _vocabulary(GS1_VOC, SENSOR_ALERT_TYPES)

# CBV 1.x URNs and the CBV 2.0 Web URIs that replace them (CBV 2.0 §8.9.2: values
# SHALL use the Web URI form). Order matters only for speed: most common first.
LEGACY_CBV_URN_PREFIXES: Final = (
    ("urn:epcglobal:cbv:bizstep:", CBV + "BizStep-"),
    ("urn:epcglobal:cbv:disp:", CBV + "Disp-"),
    ("urn:epcglobal:cbv:btt:", CBV + "BTT-"),
    ("urn:epcglobal:cbv:sdt:", CBV + "SDT-"),
    ("urn:epcglobal:cbv:er:", CBV + "ER-"),
)

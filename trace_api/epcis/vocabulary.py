"""CBV 2.0 vocabularies as the EPCIS 2.0 JSON binding accepts them.

A CBV-valued member (bizStep, disposition, ...) is valid when it is either a bare CBV word from
the lists below (``shipping``) or an absolute URI that is *not* in GS1's own namespace: compact
IRIs (``cbv:BizStep-shipping``, ``gs1:Temperature``) and user vocabularies
(``https://example.org/steps/x``) pass, but full GS1 URIs (``https://ns.gs1.org/cbv/...``,
``urn:epcglobal:cbv:...``) are refused -- the JSON binding wants the bare word for those, and
the official schema encodes exactly that with a negative look-ahead.
"""

from __future__ import annotations

import re

from trace_api.epcis.formats import is_uri

# CBV 2.0 §7.1 business steps.
BIZ_STEPS = frozenset(
    [
        "accepting",
        "arriving",
        "assembling",
        "collecting",
        "commissioning",
        "consigning",
        "creating_class_instance",
        "cycle_counting",
        "decommissioning",
        "departing",
        "destroying",
        "disassembling",
        "dispensing",
        "encoding",
        "entering_exiting",
        "holding",
        "inspecting",
        "installing",
        "killing",
        "loading",
        "other",
        "packing",
        "picking",
        "receiving",
        "removing",
        "repackaging",
        "repairing",
        "replacing",
        "reserving",
        "retail_selling",
        "shipping",
        "staging_outbound",
        "stock_taking",
        "stocking",
        "storing",
        "transporting",
        "unloading",
        "unpacking",
        "void_shipping",
        "sensor_reporting",
        "sampling",
    ]
)
# CBV 2.0 §7.2 dispositions.
DISPOSITIONS = frozenset(
    [
        "active",
        "container_closed",
        "damaged",
        "destroyed",
        "dispensed",
        "disposed",
        "encoded",
        "expired",
        "in_progress",
        "in_transit",
        "inactive",
        "no_pedigree_match",
        "non_sellable_other",
        "partially_dispensed",
        "recalled",
        "reserved",
        "retail_sold",
        "returned",
        "sellable_accessible",
        "sellable_not_accessible",
        "stolen",
        "unknown",
        "available",
        "completeness_verified",
        "completeness_inferred",
        "conformant",
        "container_open",
        "mismatch_instance",
        "mismatch_class",
        "mismatch_quantity",
        "needs_replacement",
        "non_conformant",
        "unavailable",
    ]
)
# CBV 2.0 §7.3 business transaction types.
BIZ_TRANSACTION_TYPES = frozenset(
    [
        "bol",
        "cert",
        "desadv",
        "inv",
        "pedigree",
        "po",
        "poc",
        "prodorder",
        "recadv",
        "rma",
        "testprd",
        "testres",
        "upevt",
    ]
)
# CBV 2.0 §7.4 source/destination types.
SOURCE_DESTINATION_TYPES = frozenset(("owning_party", "possessing_party", "location"))
# CBV 2.0 §7.5 error reasons.
ERROR_REASONS = frozenset(("did_not_occur", "incorrect_data"))
# CBV 2.0 §7.6 sensor measurement types (gs1: web vocabulary terms, used bare).
MEASUREMENT_TYPES = frozenset(
    [
        "AbsoluteHumidity",
        "AbsorbedDose",
        "AbsorbedDoseRate",
        "Acceleration",
        "Radioactivity",
        "Altitude",
        "AmountOfSubstance",
        "AmountOfSubstancePerUnitVolume",
        "Angle",
        "AngularAcceleration",
        "AngularMomentum",
        "AngularVelocity",
        "Area",
        "Capacitance",
        "Conductance",
        "Conductivity",
        "Count",
        "Density",
        "Dimensionless",
        "DoseEquivalent",
        "DoseEquivalentRate",
        "DynamicViscosity",
        "ElectricCharge",
        "ElectricCurrent",
        "ElectricCurrentDensity",
        "ElectricFieldStrength",
        "Energy",
        "Exposure",
        "Force",
        "Frequency",
        "Illuminance",
        "Inductance",
        "Irradiance",
        "KinematicViscosity",
        "Length",
        "LinearMomentum",
        "Luminance",
        "LuminousFlux",
        "LuminousIntensity",
        "MagneticFlux",
        "MagneticFluxDensity",
        "MagneticVectorPotential",
        "Mass",
        "MassConcentration",
        "MassFlowRate",
        "MassPerAreaTime",
        "MemoryCapacity",
        "MolalityOfSolute",
        "MolarEnergy",
        "MolarMass",
        "MolarVolume",
        "Power",
        "Pressure",
        "RadiantFlux",
        "RadiantIntensity",
        "RelativeHumidity",
        "Resistance",
        "Resistivity",
        "SolidAngle",
        "SpecificVolume",
        "Speed",
        "SurfaceDensity",
        "SurfaceTension",
        "Temperature",
        "Time",
        "Torque",
        "Voltage",
        "Volume",
        "VolumeFlowRate",
        "VolumeFraction",
        "VolumetricFlux",
        "Wavenumber",
    ]
)
# CBV 2.0 §7.7 sensor alert types.
SENSOR_ALERT_TYPES = frozenset(("ALARM_CONDITION", "ERROR_CONDITION"))
# CBV 2.0 §7.8 coordinate components.
COMPONENTS = frozenset(
    [
        "x",
        "y",
        "z",
        "axial_distance",
        "azimuth",
        "height",
        "spherical_radius",
        "polar_angle",
        "elevation_angle",
        "easting",
        "northing",
        "latitude",
        "longitude",
        "altitude",
    ]
)
ACTIONS = ("ADD", "OBSERVE", "DELETE")  # EPCIS 2.0 §7.3.2

# The GS1 namespaces a URI-valued CBV member must not use (schema "vocab-other-uri").
_GS1_CBV_URI = re.compile(r"urn:epcglobal:cbv|https?://ns\.gs1\.org/cbv/")
# ... and for sensor measurement/alert types (schema "vocab-nonGS1WebVoc-uri").
_GS1_WEB_VOC_URI = re.compile(r"https?://gs1\.org/voc/|https?://www\.gs1\.org/voc/")


def is_cbv_value(value: str, bare_words: frozenset[str]) -> bool:
    """True iff ``value`` is one of ``bare_words`` or a URI outside GS1's CBV namespaces."""
    if value in bare_words:
        return True
    return is_uri(value) and _GS1_CBV_URI.match(value) is None


def is_sensor_vocabulary_value(value: str, bare_words: frozenset[str]) -> bool:
    """True iff ``value`` is one of ``bare_words`` or a URI outside the GS1 web vocabulary."""
    if value in bare_words:
        return True
    return is_uri(value) and _GS1_WEB_VOC_URI.match(value) is None

// The API's choices and the words the patient sees for them (called after the
// catalogue is loaded, so each list is in the current language).
import { gettext } from "./i18n.js";

export const postures = () => [
  ["lying", gettext("Lying down")],
  ["sitting", gettext("Sitting")],
  ["standing", gettext("Standing")],
];

export const postureLabel = (value) => Object.fromEntries(postures())[value] || value;

export const symptoms = () => [
  ["nausea", gettext("Nausea")],
  ["vomiting", gettext("Vomiting")],
  ["neck_pain", gettext("Neck pain")],
  ["tinnitus", gettext("Ringing in the ears")],
  ["muffled_hearing", gettext("Muffled hearing")],
  ["dizziness", gettext("Dizziness")],
  ["imbalance", gettext("Unsteady on my feet")],
  ["visual_disturbance", gettext("Blurred or disturbed vision")],
  ["diplopia", gettext("Double vision")],
  ["photophobia", gettext("Light hurts")],
  ["phonophobia", gettext("Noise hurts")],
  ["cognitive_fog", gettext("Foggy thinking")],
  ["back_pain", gettext("Back pain")],
  ["interscapular_pain", gettext("Pain between the shoulder blades")],
  ["arm_pain_or_numbness", gettext("Arm pain or numbness")],
  ["facial_numbness", gettext("Numb face")],
  ["taste_change", gettext("Changed taste")],
  ["fatigue", gettext("Tiredness")],
];

export const triggers = () => [
  ["sitting_up", gettext("Sitting up")],
  ["standing", gettext("Standing")],
  ["walking", gettext("Walking")],
  ["coughing_or_straining", gettext("Coughing or straining")],
  ["lifting", gettext("Lifting")],
  ["after_procedure", gettext("After a procedure")],
  ["other", gettext("Something else")],
];

export const kinds = () => [
  ["epidural_blood_patch", gettext("Epidural blood patch")],
  ["fibrin_glue", gettext("Fibrin glue")],
  ["platelet_lysate", gettext("Platelet lysate")],
  ["surgical_repair", gettext("Surgical repair")],
  ["other", gettext("Other treatment")],
];

export const kindLabel = (value) => Object.fromEntries(kinds())[value] || value;

export const approaches = () => [
  ["", gettext("Not known")],
  ["blind", gettext("Blind (usually lower back)")],
  ["targeted", gettext("Targeted at the leak")],
];

export const ratings = () =>
  Array.from({ length: 11 }, (_, n) => [n, String(n)]);

export const medications = () => [
  ["acetazolamide", gettext("Acetazolamide")],
  ["paracetamol", gettext("Paracetamol")],
  ["ibuprofen", gettext("Ibuprofen")],
  ["nsaid_other", gettext("Another anti-inflammatory")],
  ["opioid", gettext("Opioid painkiller")],
  ["other", gettext("Other medicine")],
];

// The 7-point Patient Global Impression of Change: 1 is best.
export const pgic = () => [
  [1, gettext("Very much better")],
  [2, gettext("Much better")],
  [3, gettext("A little better")],
  [4, gettext("No change")],
  [5, gettext("A little worse")],
  [6, gettext("Much worse")],
  [7, gettext("Very much worse")],
];

export const checkpointLabel = (value) =>
  ({
    "6h": gettext("6 hours"),
    "24h": gettext("24 hours"),
    "48h": gettext("48 hours"),
    "72h": gettext("72 hours"),
    "7d": gettext("7 days"),
  })[value] || value;

use super::*;

/// The attributes of each medication of `note`, the medications given as their words.
fn attributes(note: &str, medications: &[&str]) -> Vec<MedicationAttributes> {
    let mut from = 0;
    let spans: Vec<Range<usize>> = medications
        .iter()
        .map(|m| {
            let byte = from + note[from..].find(m).expect("medication in note");
            from = byte + m.len();
            let start = note[..byte].chars().count();
            start..start + m.chars().count()
        })
        .collect();
    medication_attributes(note, &spans, PosologyRules::builtin())
}

fn one(note: &str, medication: &str) -> MedicationAttributes {
    attributes(note, &[medication]).remove(0)
}

fn text<T>(note: &str, found: &Option<Found<T>>) -> String {
    let chars = &found.as_ref().expect("found").chars;
    note.chars()
        .skip(chars.start)
        .take(chars.end - chars.start)
        .collect()
}

#[test]
fn a_prescription_in_abbreviations() {
    let note = "Metformin 500 mg p.o. b.i.d. for 7 days.";
    let found = one(note, "Metformin");
    let strength = &found.strength.as_ref().unwrap().value;
    assert_eq!(
        (strength.value, strength.unit.as_str()),
        (Some(500.0), "mg")
    );
    assert_eq!(text(note, &found.strength), "500 mg");
    assert_eq!(found.route.as_ref().unwrap().value, "oral");
    assert_eq!(text(note, &found.route), "p.o.");
    assert_eq!(
        found.frequency.as_ref().unwrap().value,
        Frequency {
            per_day: Some(2.0),
            as_needed: false
        }
    );
    assert_eq!(text(note, &found.frequency), "b.i.d.");
    assert_eq!(found.duration.as_ref().unwrap().value, 7.0);
    assert_eq!(
        found.daily_dose,
        Some(DailyDose {
            value: 1000.0,
            unit: "mg/d".into()
        })
    );
}

#[test]
fn each_medication_of_running_prose_gets_its_own() {
    let note = "Continue lisinopril 10 mg daily and metoprolol 25 mg BID.";
    let found = attributes(note, &["lisinopril", "metoprolol"]);
    assert_eq!(found[0].daily_dose.as_ref().unwrap().value, 10.0);
    assert_eq!(found[1].daily_dose.as_ref().unwrap().value, 50.0);
    assert_eq!(text(note, &found[1].frequency), "BID");
}

#[test]
fn a_numbered_list() {
    let note = "Medications: 1. Aspirin 81 mg daily. 2. Atorvastatin 40mg at bedtime.\n3. Albuterol inhaler 2 puffs q4-6h prn.";
    let found = attributes(note, &["Aspirin", "Atorvastatin", "Albuterol"]);
    assert_eq!(found[0].daily_dose.as_ref().unwrap().value, 81.0);
    assert_eq!(found[1].daily_dose.as_ref().unwrap().value, 40.0);
    assert_eq!(text(note, &found[1].frequency), "at bedtime");
    let albuterol = &found[2];
    assert_eq!(
        albuterol.dose.as_ref().unwrap().value,
        Dose {
            amount: Some(2.0),
            form: "puff".into()
        }
    );
    // A range of hours and as needed: no number per day, and no daily dose.
    assert_eq!(
        albuterol.frequency.as_ref().unwrap().value,
        Frequency {
            per_day: None,
            as_needed: true
        }
    );
    assert_eq!(albuterol.daily_dose, None);
}

#[test]
fn frequencies_normalise_to_administrations_per_day() {
    let per_day = |instruction: &str| {
        let note = format!("Drug 5 mg {instruction}.");
        one(&note, "Drug")
            .frequency
            .map(|f| (f.value.per_day, f.value.as_needed))
    };
    assert_eq!(per_day("q6h"), Some((Some(4.0), false)));
    assert_eq!(per_day("q.8h."), Some((Some(3.0), false)));
    assert_eq!(per_day("every 12 hours"), Some((Some(2.0), false)));
    assert_eq!(per_day("three times a day"), Some((Some(3.0), false)));
    assert_eq!(per_day("weekly"), Some((Some(1.0 / 7.0), false)));
    assert_eq!(per_day("every other day"), Some((Some(0.5), false)));
    assert_eq!(per_day("PRN"), Some((None, true)));
    assert_eq!(per_day("q6h p.r.n."), Some((Some(4.0), true)));
    assert_eq!(per_day("as needed"), Some((None, true)));
    assert_eq!(per_day("every two hours"), Some((Some(12.0), false)));
    assert_eq!(per_day("every 2 weeks"), Some((Some(1.0 / 14.0), false)));
}

#[test]
fn a_dose_in_tablets_multiplies_the_strength() {
    let found = one(
        "Tylenol 325 mg 2 tablets by mouth every 6 hours.",
        "Tylenol",
    );
    assert_eq!(found.route.unwrap().value, "oral");
    assert_eq!(found.daily_dose.unwrap().value, 2600.0);
}

#[test]
fn what_the_note_does_not_say_stays_empty() {
    // Ranges, as needed, per kilogram, a taper, no frequency: no daily dose, never a guess.
    assert_eq!(
        one("Norco 1-2 tablets q4h prn pain.", "Norco").daily_dose,
        None
    );
    let range = one("Oxycodone 5 mg 1-2 tablets q4h.", "Oxycodone");
    assert_eq!(range.dose.unwrap().value.amount, None);
    assert_eq!(range.daily_dose, None);
    let per_kg = one("Vancomycin 15 mg/kg IV q12h.", "Vancomycin");
    assert_eq!(per_kg.strength.as_ref().unwrap().value.unit, "mg/kg");
    assert_eq!(per_kg.route.as_ref().unwrap().value, "intravenous");
    assert_eq!(per_kg.daily_dose, None);
    let taper = one(
        "Prednisone 40 mg daily for 5 days, then 20 mg daily.",
        "Prednisone",
    );
    assert!(taper.tapering);
    assert_eq!(taper.strength.unwrap().value.value, Some(40.0));
    assert_eq!(taper.daily_dose, None);
    let bare = one("She takes aspirin.", "aspirin");
    assert!(bare.is_empty());
    assert_eq!(one("Aspirin 81 mg.", "Aspirin").daily_dose, None);
}

#[test]
fn insulin_units_and_routes() {
    let found = one("Lantus 20 units subcutaneously at bedtime.", "Lantus");
    assert_eq!(found.strength.as_ref().unwrap().value.unit, "U");
    assert_eq!(found.route.as_ref().unwrap().value, "subcutaneous");
    assert_eq!(
        found.daily_dose.unwrap(),
        DailyDose {
            value: 20.0,
            unit: "U/d".into()
        }
    );
}

#[test]
fn reading_stops_at_prose_and_at_the_line_end() {
    // "for chest pain" is no duration; the 10 mg of the next line belongs to nothing here.
    let found = one(
        "Aspirin daily for chest pain prophylaxis, as the cardiologist said 10 mg.\nLisinopril",
        "Aspirin",
    );
    assert_eq!(found.strength, None);
    assert_eq!(found.frequency.unwrap().value.per_day, Some(1.0));
    let split = one("Aspirin\n81 mg daily", "Aspirin");
    assert!(split.is_empty());
}

#[test]
fn hostile_input_gives_a_defined_result() {
    let long = "9".repeat(10_000) + " mg " + &"q".repeat(10_000);
    let found = one(&format!("Drug {long}"), "Drug");
    assert!(found.daily_dose.is_none() || found.daily_dose.unwrap().value.is_finite());
    assert!(one("Drug 0 mg q0h", "Drug")
        .frequency
        .map_or(true, |f| f.value.per_day.is_none()));
    // A medication at the very end, and one whose scope is empty.
    assert!(one("Take aspirin", "aspirin").is_empty());
    assert_eq!(
        attributes("aspirin aspirin", &["aspirin", "aspirin"]).len(),
        2
    );
}

#[test]
fn rule_files_report_file_and_line() {
    let error = PosologyRules::parse(&[("routes.tsv", "po\toral\nbuccal\tcheek")]).unwrap_err();
    assert!(
        error.contains("routes.tsv line 2") && error.contains("cheek"),
        "{error}"
    );
    let error = PosologyRules::parse(&[("frequencies.tsv", "q # h\t2\tno")]).unwrap_err();
    assert!(error.contains("line 1"), "{error}");
    // A site's line extends the built-in set.
    let site = PosologyRules::parse(&[
        ("frequencies.tsv", "twice daily\t2\tno"),
        ("frequencies.tsv", "bis in die\t2\tno"),
    ])
    .unwrap();
    let note = "Drug 5 mg bis in die.";
    let found = medication_attributes(note, &[0..4], &site);
    assert_eq!(
        found[0].frequency.as_ref().unwrap().value.per_day,
        Some(2.0)
    );
}

#[test]
fn a_route_right_before_the_mention() {
    let note = "Given IV Lasix 40 mg and oral prednisolone 30 mg daily.";
    let found = attributes(note, &["Lasix", "prednisolone"]);
    assert_eq!(found[0].route.as_ref().unwrap().value, "intravenous");
    assert_eq!(text(note, &found[0].route), "IV");
    assert_eq!(found[1].route.as_ref().unwrap().value, "oral");
    // Not a route word of the sentence before.
    assert_eq!(one("The line was IV. Then aspirin.", "aspirin").route, None);
    // A route before a list is each listed drug's, and only a list's.
    let listed = "Begin intravenous Bactrim and erythromycin, then oral prednisone.";
    let found = attributes(listed, &["Bactrim", "erythromycin", "prednisone"]);
    assert_eq!(text(listed, &found[1].route), "intravenous");
    assert_eq!(found[1].route, found[0].route);
    assert_eq!(text(listed, &found[2].route), "oral");
    let apart = "Gave intravenous Bactrim, later erythromycin.";
    assert_eq!(
        attributes(apart, &["Bactrim", "erythromycin"])[1].route,
        None
    );
}

#[test]
fn a_strength_right_before_the_mention() {
    let note = "She received 10 mg of prednisolone daily and 250 mg/day of bosentan.";
    let found = attributes(note, &["prednisolone", "bosentan"]);
    assert_eq!(text(note, &found[0].strength), "10 mg");
    assert_eq!(found[0].daily_dose.as_ref().unwrap().value, 10.0);
    assert_eq!(text(note, &found[1].strength), "250 mg");
    // The strength before the second mention is not the first one's.
    assert_eq!(found[0].strength.as_ref().unwrap().value.value, Some(10.0));
    let parenthesised = one(
        "metoprolol succinate sustained-release tablets (23.75 mg daily, p.o.)",
        "metoprolol succinate",
    );
    assert_eq!(parenthesised.daily_dose.unwrap().value, 23.75);
    assert_eq!(parenthesised.route.unwrap().value, "oral");
}

#[test]
fn nothing_crosses_a_sentence_end() {
    let note = "Metformin 500 mg twice daily. Lisinopril 10 mg daily.";
    let found = attributes(note, &["Metformin", "Lisinopril"]);
    assert_eq!(found[0].daily_dose.as_ref().unwrap().value, 1000.0);
    assert_eq!(found[1].daily_dose.as_ref().unwrap().value, 10.0);
    // Without a full stop, a frequency before a drug stays with the drug before it.
    let found = attributes(
        "Metformin 500 mg twice daily Lisinopril 10 mg",
        &["Metformin", "Lisinopril"],
    );
    assert_eq!(
        found[0].frequency.as_ref().unwrap().value.per_day,
        Some(2.0)
    );
}

#[test]
fn counted_frequencies_and_note_wordings_of_the_note_attribute_set() {
    let note = "She is taking Econopred 8 times a day and Fragmin one time a day.";
    let found = attributes(note, &["Econopred", "Fragmin"]);
    assert_eq!(text(note, &found[0].frequency), "8 times a day");
    assert_eq!(
        found[0].frequency.as_ref().unwrap().value.per_day,
        Some(8.0)
    );
    assert_eq!(text(note, &found[1].frequency), "one time a day");
    let note =
        "Motrin 400 mg q.6h. as needed for pain. Lupron q. three months. Humalog 10 units a.c.";
    let found = attributes(note, &["Motrin", "Lupron", "Humalog"]);
    assert_eq!(text(note, &found[0].frequency), "q.6h. as needed");
    assert!(found[0].frequency.as_ref().unwrap().value.as_needed);
    assert_eq!(text(note, &found[1].frequency), "q. three months");
    assert_eq!(found[2].frequency.as_ref().unwrap().value.per_day, None);
    assert_eq!(found[2].daily_dose, None);
    let note = "Nystatin swish and swallow. Pedialyte through the J-tube.";
    let found = attributes(note, &["Nystatin", "Pedialyte"]);
    assert_eq!(found[0].route.as_ref().unwrap().value, "oral");
    assert_eq!(text(note, &found[1].route), "through the J-tube");
    let note = "dobutamine 30 mcg/kg per minute; potassium chloride 20 mEq/L";
    let found = attributes(note, &["dobutamine", "potassium chloride"]);
    assert_eq!(text(note, &found[0].strength), "30 mcg/kg per minute");
    assert_eq!(found[0].daily_dose, None);
    assert_eq!(text(note, &found[1].strength), "20 mEq/L");
}

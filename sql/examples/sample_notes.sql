-- Sample notes written for this project (invented patients, no corpus text), used by the demo and
-- the SQL tests. Safe to run twice.
CREATE TABLE IF NOT EXISTS sample_notes (
    id   int PRIMARY KEY,
    note text
);

INSERT INTO sample_notes (id, note) VALUES
(1, 'Started metformin 500 mg twice daily for type 2 diabetes; denies chest pain.'),
(2, 'CHIEF COMPLAINT: Shortness of breath and productive cough for three days.
HISTORY: 67-year-old man with chronic obstructive pulmonary disease and hypertension. He reports fever and fatigue but no hemoptysis.
MEDICATIONS: lisinopril 10 mg daily, albuterol inhaler as needed, tiotropium once daily.
ASSESSMENT AND PLAN: Acute exacerbation of COPD. Start prednisone 40 mg daily for five days and azithromycin.'),
(3, 'Patient is a 45-year-old woman presenting with severe headache, nausea and photophobia. History of migraine. Took ibuprofen and sumatriptan without relief.'),
(4, 'Discharge summary: admitted with community-acquired pneumonia. Treated with ceftriaxone and doxycycline. Fever resolved on day 3. Continue amoxicillin at home. Follow up for atrial fibrillation on warfarin.'),
(5, 'Follow-up visit. Her rheumatoid arthritis is stable on methotrexate and folic acid. She has mild joint pain in the morning and occasional dizziness.'),
(6, 'ED note: 30 y/o with abdominal pain, vomiting and diarrhea since last night. No blood in stool. Given ondansetron IV. Suspect viral gastroenteritis.'),
(7, 'Allergies: penicillin (rash). Current medications: atorvastatin 40 mg nightly, aspirin 81 mg daily, metoprolol succinate 50 mg. Problem list: coronary artery disease, hyperlipidemia, heart failure.'),
(8, 'Pt c/o insomnia and anxiety for several weeks, worse at night. Denies suicidal ideation. Started sertraline 50 mg and advised sleep hygiene.'),
(9, 'Paciente con fiebre y tos — fièvre, 发烧 😷. Patient speaks Spanish; interpreter used. Diagnosed with influenza, prescribed oseltamivir and acetaminophen for the fever.'),
(10, 'Known asthma and seasonal allergic rhinitis. Uses fluticasone nasal spray and montelukast. Reports wheezing with exercise and nasal congestion.'),
(11, 'Type 1 diabetes mellitus on insulin glargine and insulin lispro. Episodes of hypoglycemia with sweating and tremor. Diabetic neuropathy with numbness in both feet; gabapentin started.'),
(12, 'Chronic kidney disease stage 3, anemia and gout. Allopurinol continued, colchicine for the acute flare with swelling and redness of the left big toe.')
ON CONFLICT (id) DO NOTHING;

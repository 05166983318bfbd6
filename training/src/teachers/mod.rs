//! Teachers: labellers that give silver spans without a trained model, to fill in the types a
//! corpus never annotated and to stand as the baseline a model has to beat.

pub mod dictionary;

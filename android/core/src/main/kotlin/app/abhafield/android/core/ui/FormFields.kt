/**
 * The editable fields of a member and the core's names for every form field.
 *
 * Validation issues come back keyed by the core's field names (`members[2].birth_date`); the
 * forms, their inline validation and their tests must use exactly those names, so they are
 * defined once here. [MemberFields] is what a member row of a form holds while it is edited; its
 * `toString` hides the values, because a form holds names, dates of birth and Aadhaar numbers.
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.repo.MemberDraft
import app.abhafield.core.MemberPatchInput
import app.abhafield.core.MemberRecord

/**
 * One member as typed. [uid] is a stable key for list rows (it survives removing other rows).
 * [aadhaar] is the number being typed; after a save it is cleared and [aadhaarMasked]
 * (`XXXX XXXX 1234`) is all that remains.
 */
data class MemberFields(
    val uid: Long = 0,
    val givenName: String = "",
    val middleName: String = "",
    val familyName: String = "",
    val nameLatin: String = "",
    val gender: String = "",
    val birthDate: String = "",
    val relation: String = "",
    val mobile: String = "",
    val aadhaar: String = "",
    val abhaNumber: String = "",
    val abhaAddress: String = "",
    val aadhaarMasked: String? = null,
) {
    override fun toString(): String = "MemberFields(uid=$uid, <redacted>)"

    /** The draft the repository takes (blank optional fields are left out). */
    fun toDraft(): MemberDraft = MemberDraft(
        givenName = givenName,
        middleName = middleName.ifBlank { null },
        familyName = familyName.ifBlank { null },
        nameLatin = nameLatin.ifBlank { null },
        gender = gender,
        birthDate = birthDate,
        relation = relation,
        mobile = mobile.ifBlank { null },
        aadhaar = aadhaar.ifBlank { null },
        abhaNumber = abhaNumber.ifBlank { null },
        abhaAddress = abhaAddress.ifBlank { null },
    )

    /** The core's names (unprefixed) of the fields that differ from [other]. */
    fun changedFrom(other: MemberFields): Set<String> = buildSet {
        if (givenName != other.givenName) add(FormFields.GIVEN_NAME)
        if (middleName != other.middleName) add(FormFields.MIDDLE_NAME)
        if (familyName != other.familyName) add(FormFields.FAMILY_NAME)
        if (nameLatin != other.nameLatin) add(FormFields.NAME_LATIN)
        if (gender != other.gender) add(FormFields.GENDER)
        if (birthDate != other.birthDate) add(FormFields.BIRTH_DATE)
        if (relation != other.relation) add(FormFields.RELATION)
        if (mobile != other.mobile) add(FormFields.MOBILE)
        if (aadhaar != other.aadhaar) add(FormFields.AADHAAR)
        if (abhaNumber != other.abhaNumber) add(FormFields.ABHA_NUMBER)
        if (abhaAddress != other.abhaAddress) add(FormFields.ABHA_ADDRESS)
    }

    /** A patch with only the fields that differ from [before] (`""` clears an optional field). */
    fun patchFrom(before: MemberFields): MemberPatchInput {
        fun pick(now: String, was: String): String? = if (now != was) now.trim() else null
        return MemberPatchInput(
            givenName = pick(givenName, before.givenName),
            middleName = pick(middleName, before.middleName),
            familyName = pick(familyName, before.familyName),
            nameLatin = pick(nameLatin, before.nameLatin),
            gender = pick(gender, before.gender),
            birthDate = pick(birthDate, before.birthDate),
            mobile = pick(mobile, before.mobile),
            relation = pick(relation, before.relation),
            abhaNumber = pick(abhaNumber, before.abhaNumber),
            abhaAddress = pick(abhaAddress, before.abhaAddress),
        )
    }

    /** With the Aadhaar digits dropped and only the last four kept for display. */
    fun withoutAadhaar(): MemberFields {
        val digits = aadhaar.filter { it in '0'..'9' }
        val masked = if (digits.length >= 4) "XXXX XXXX " + digits.takeLast(4) else aadhaarMasked
        return copy(aadhaar = "", aadhaarMasked = masked)
    }

    companion object {
        /** The fields of a stored member, for editing. */
        fun of(record: MemberRecord, uid: Long = 0): MemberFields = MemberFields(
            uid = uid,
            givenName = record.givenName.orEmpty(),
            middleName = record.middleName.orEmpty(),
            familyName = record.familyName.orEmpty(),
            nameLatin = record.nameLatin.orEmpty(),
            gender = record.gender.orEmpty(),
            birthDate = record.birthDate.orEmpty(),
            relation = record.relation.orEmpty(),
            mobile = record.mobile.orEmpty(),
            abhaNumber = record.abhaNumber.orEmpty(),
            abhaAddress = record.abhaAddress.orEmpty(),
            aadhaarMasked = record.aadhaarMasked,
        )
    }
}

/** The core's field names. */
object FormFields {
    const val VILLAGE = "household.village_id"
    const val ADDRESS = "household.address"
    const val PINCODE = "household.pincode"
    const val GPS = "household.gps"

    const val GIVEN_NAME = "given_name"
    const val MIDDLE_NAME = "middle_name"
    const val FAMILY_NAME = "family_name"
    const val NAME_LATIN = "name_latin"
    const val GENDER = "gender"
    const val BIRTH_DATE = "birth_date"
    const val RELATION = "relation"
    const val MOBILE = "mobile"
    const val AADHAAR = "aadhaar"
    const val ABHA_NUMBER = "abha_number"
    const val ABHA_ADDRESS = "abha_address"

    /** `members[2].birth_date`. */
    fun member(index: Int, field: String): String = "members[$index].$field"

    private val MEMBER = Regex("""^members\[(\d+)]\.(.+)$""")

    /** The member index and unprefixed name of a `members[i].x` field, or null. */
    fun parseMember(field: String): Pair<Int, String>? =
        MEMBER.matchEntire(field)?.let { it.groupValues[1].toInt() to it.groupValues[2] }
}

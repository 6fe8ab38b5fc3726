package app.abhafield.android.security

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.os.Build
import android.util.AtomicFile
import java.io.ByteArrayOutputStream
import java.io.DataInputStream
import java.io.DataOutputStream
import java.io.File
import java.io.FileNotFoundException
import java.security.KeyStore
import java.security.ProviderException
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * Why this exists: the SQLCipher store is encrypted with a random 32-byte key, and that key must
 * survive app restarts without ever being written in the clear. It is generated once, wrapped
 * (AES-256-GCM) by a key that lives in the Android Keystore and never leaves it, and the wrapped
 * blob is kept in `noBackupFilesDir` (not copied by backups or device transfer: the wrapping
 * key stays on this device, so a copy elsewhere could never be opened anyway).
 *
 * Safety rules, because the store holds unsynced field work:
 *  - A key is generated only when there is neither a wrapped key nor a database file. If the
 *    database exists but its key is missing or cannot be unwrapped (Keystore reset, restored
 *    from another device), [load] fails with [KeyUnavailable] and touches nothing: a new key
 *    would make the existing file unreadable for good.
 *  - The plaintext key is returned in a fresh array the caller wipes after use; it is never
 *    logged and never kept in a field.
 */
class StoreKeyVault(
    private val wrappedKeyFile: File,
    private val alias: String = "abha-field-store-wrap-v1",
) {
    /** The wrapped key exists but cannot be opened, or is missing while the store exists. */
    class KeyUnavailable(message: String, cause: Throwable? = null) : Exception(message, cause)

    /**
     * The store key: unwrapped if one exists, otherwise newly generated and saved, but only when
     * [storeExists] is false. The caller must `fill(0)` the returned array once the store is open.
     */
    @Throws(KeyUnavailable::class)
    fun load(storeExists: Boolean): ByteArray {
        val blob = readBlob()
        if (blob != null) return unwrap(blob)
        if (storeExists) {
            throw KeyUnavailable("the store exists but its wrapped key is missing")
        }
        val key = ByteArray(KEY_BYTES).also { SecureRandom().nextBytes(it) }
        try {
            writeBlob(wrap(key))
        } catch (e: Exception) {
            key.fill(0)
            throw KeyUnavailable("could not save the wrapped store key", e)
        }
        return key
    }

    private fun unwrap(blob: Blob): ByteArray = try {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, existingWrappingKey(), GCMParameterSpec(TAG_BITS, blob.iv))
        cipher.updateAAD(AAD)
        cipher.doFinal(blob.ciphertext).also {
            if (it.size != KEY_BYTES) {
                it.fill(0)
                throw KeyUnavailable("unwrapped key has the wrong length")
            }
        }
    } catch (e: KeyUnavailable) {
        throw e
    } catch (e: Exception) {
        // Keystore entry gone or replaced, or the blob damaged. Never regenerate here.
        throw KeyUnavailable("the store key cannot be unwrapped", e)
    }

    private fun wrap(key: ByteArray): Blob {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        // A fresh wrapping key: if an old Keystore entry is left from an earlier install whose
        // blob was deleted, it protects nothing any more.
        cipher.init(Cipher.ENCRYPT_MODE, newWrappingKey())
        cipher.updateAAD(AAD)
        val ciphertext = cipher.doFinal(key)
        return Blob(cipher.iv, ciphertext)
    }

    private fun keyStore(): KeyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }

    private fun existingWrappingKey(): SecretKey =
        (keyStore().getKey(alias, null) as? SecretKey)
            ?: throw KeyUnavailable("no wrapping key in the Android Keystore")

    private fun newWrappingKey(): SecretKey {
        keyStore().apply { if (containsAlias(alias)) deleteEntry(alias) }
        // StrongBox where the tablet has it (API 28+), the TEE otherwise.
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
            try {
                return generate(strongBox = true)
            } catch (_: ProviderException) {
                // StrongBoxUnavailableException (API 28) is a ProviderException: use the TEE.
            }
        }
        return generate(strongBox = false)
    }

    private fun generate(strongBox: Boolean): SecretKey {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            // The worker syncs in the background, possibly while the screen is locked: no
            // user-authentication or unlocked-device requirement on the wrapping key.
            .apply { if (strongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) setIsStrongBoxBacked(true) }
            .build()
        return KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
            .apply { init(spec) }
            .generateKey()
    }

    private class Blob(val iv: ByteArray, val ciphertext: ByteArray)

    private fun readBlob(): Blob? {
        val bytes = try {
            AtomicFile(wrappedKeyFile).readFully()
        } catch (_: FileNotFoundException) {
            return null
        }
        return try {
            DataInputStream(bytes.inputStream()).use { input ->
                require(input.readInt() == FORMAT_VERSION) { "unknown wrapped key format" }
                val iv = ByteArray(input.readUnsignedByte()).also { input.readFully(it) }
                val ciphertext = ByteArray(input.readUnsignedShort()).also { input.readFully(it) }
                Blob(iv, ciphertext)
            }
        } catch (e: Exception) {
            throw KeyUnavailable("the wrapped store key file is damaged", e)
        }
    }

    private fun writeBlob(blob: Blob) {
        val bytes = ByteArrayOutputStream().also { out ->
            DataOutputStream(out).use {
                it.writeInt(FORMAT_VERSION)
                it.writeByte(blob.iv.size)
                it.write(blob.iv)
                it.writeShort(blob.ciphertext.size)
                it.write(blob.ciphertext)
            }
        }.toByteArray()
        wrappedKeyFile.parentFile?.mkdirs()
        val file = AtomicFile(wrappedKeyFile)
        val stream = file.startWrite()
        try {
            stream.write(bytes)
            file.finishWrite(stream) // fsyncs, then renames into place
        } catch (e: Exception) {
            file.failWrite(stream)
            throw e
        }
    }

    private companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val TAG_BITS = 128
        const val KEY_BYTES = 32
        const val FORMAT_VERSION = 1
        /** Binds the blob to its purpose: a blob wrapped for something else will not open. */
        val AAD = "abha-field/store-key/v1".toByteArray()
    }
}

package app.abhafield.android.sync

import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import app.abhafield.android.core.repo.DeviceRepository
import app.abhafield.android.core.repo.EnrolledDevice
import app.abhafield.android.core.repo.EnrolmentInput
import app.abhafield.android.core.repo.SyncRepository
import app.abhafield.core.DeviceReport
import app.abhafield.core.SharedProfileRecord
import app.abhafield.core.SyncCancel
import app.abhafield.core.SyncProgressRecord
import app.abhafield.core.SyncSummary
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext
import java.net.InetAddress
import java.net.URI

/**
 * Why this exists: a camp hub is reached over a local Wi-Fi that has no Internet. Android then
 * keeps mobile data as the default network, and a connection to the hub's LAN address goes out
 * over mobile data and fails. While the app talks to the hub (a sync, manual or from the
 * WorkManager worker, the supervisor's device list, an enrolment) this binds the whole process
 * to the Wi-Fi the hub is on, with `bindProcessToNetwork`, and unbinds it afterwards. Native
 * sockets of the Rust library follow the process binding (bionic's connect and DNS consult it).
 *
 * It binds only when all of these hold, and otherwise changes nothing:
 *  - the default network is mobile data (a Wi-Fi default already reaches the hub);
 *  - a connected Wi-Fi network has a local (non-default) route to the hub's address: the hub
 *    URL's IP literal, or its name resolved on that Wi-Fi. A state hub on the Internet is
 *    therefore never forced onto a camp Wi-Fi without Internet.
 * Calls overlap (a sync and the supervisor list): the first to start decides and binds, the
 * last to finish unbinds. Using a Wi-Fi that is not the default needs CHANGE_NETWORK_STATE
 * (manifest). Android glue only: which hub to use and when to sync is android/core's.
 */
class HubNetwork(context: Context) {
    private val connectivity = context.applicationContext.getSystemService(ConnectivityManager::class.java)
    private val lock = Mutex()
    private var users = 0
    private var bound = false

    /** Runs [block] bound to the hub's Wi-Fi if mobile data would otherwise carry it. */
    suspend fun <T> around(hubUrl: String?, block: suspend () -> T): T {
        lock.withLock {
            if (users++ == 0) bound = withContext(Dispatchers.IO) { runCatching { bindFor(hubUrl) }.getOrDefault(false) }
        }
        try {
            return block()
        } finally {
            withContext(NonCancellable) {
                lock.withLock {
                    if (--users == 0 && bound) {
                        connectivity?.bindProcessToNetwork(null)
                        bound = false
                    }
                }
            }
        }
    }

    /** Binds to the Wi-Fi carrying [hubUrl] when mobile data is the default; true if it bound. */
    private fun bindFor(hubUrl: String?): Boolean {
        val cm = connectivity ?: return false
        val host = hubUrl?.let { runCatching { URI(it.trim()).host }.getOrNull() }?.removeSurrounding("[", "]") ?: return false
        val default = cm.activeNetwork?.let(cm::getNetworkCapabilities) ?: return false
        if (!default.hasTransport(NetworkCapabilities.TRANSPORT_CELLULAR)) return false
        @Suppress("DEPRECATION") // allNetworks is the one synchronous list; a callback would outlive the call
        val wifi = cm.allNetworks.firstOrNull { n -> isWifi(cm, n) && reaches(cm, n, host) } ?: return false
        return cm.bindProcessToNetwork(wifi)
    }

    private fun isWifi(cm: ConnectivityManager, n: Network): Boolean =
        cm.getNetworkCapabilities(n)?.hasTransport(NetworkCapabilities.TRANSPORT_WIFI) == true

    /** Whether [n] has a route other than its default route to [host] (an IP literal or a name). */
    private fun reaches(cm: ConnectivityManager, n: Network, host: String): Boolean {
        val routes = cm.getLinkProperties(n)?.routes.orEmpty().filter { !it.isDefaultRoute }
        if (routes.isEmpty()) return false
        // A literal is parsed without a lookup; a name is resolved on that Wi-Fi's own DNS.
        val addresses: List<InetAddress> = if (isLiteral(host)) listOf(InetAddress.getByName(host))
        else runCatching { n.getAllByName(host).toList() }.getOrDefault(emptyList())
        return addresses.any { a -> routes.any { it.matches(a) } }
    }

    private fun isLiteral(host: String): Boolean = ':' in host || IPV4.matches(host)

    /** [SyncRepository] whose sessions and device lists run [around] the enrolled hub's URL. */
    class Sync(
        private val delegate: SyncRepository,
        private val device: DeviceRepository,
        private val network: HubNetwork,
    ) : SyncRepository {
        private suspend fun hubUrl(): String? = try {
            device.deviceStatus().hubUrl
        } catch (e: CancellationException) {
            throw e
        } catch (_: Throwable) {
            null // no binding; the session itself reports what is wrong
        }

        override suspend fun sync(onProgress: (SyncProgressRecord) -> Unit, cancel: SyncCancel): SyncSummary =
            network.around(hubUrl()) { delegate.sync(onProgress, cancel) }

        override suspend fun hubDevices(): List<DeviceReport> = network.around(hubUrl()) { delegate.hubDevices() }

        override suspend fun sharedProfiles(): List<SharedProfileRecord> = network.around(hubUrl()) { delegate.sharedProfiles() }

        override suspend fun acceptSharedProfile(id: String, memberId: String?) =
            network.around(hubUrl()) { delegate.acceptSharedProfile(id, memberId) }

        override suspend fun dismissSharedProfile(id: String) = network.around(hubUrl()) { delegate.dismissSharedProfile(id) }
    }

    /** [DeviceRepository] whose enrolment runs [around] the hub it names (typed, or in the QR payload). */
    class Device(
        private val delegate: DeviceRepository,
        private val network: HubNetwork,
    ) : DeviceRepository by delegate {
        override suspend fun enrolDevice(code: String, hubUrl: String?, pinHex: String?): EnrolledDevice =
            network.around(EnrolmentInput.hubUrl(code, hubUrl)) { delegate.enrolDevice(code, hubUrl, pinHex) }
    }

    private companion object {
        val IPV4 = Regex("""\d{1,3}(\.\d{1,3}){3}""")
    }
}

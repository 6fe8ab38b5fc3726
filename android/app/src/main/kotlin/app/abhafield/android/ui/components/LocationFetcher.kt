package app.abhafield.android.ui.components

import android.Manifest
import android.annotation.SuppressLint
import android.content.Context
import android.content.pm.PackageManager
import android.location.Location
import android.location.LocationListener
import android.location.LocationManager
import android.os.Build
import android.os.Looper

/**
 * Why this exists: one GPS fix for a household, with the platform LocationManager (no Google Play
 * services: many programme tablets are locked down or run AOSP builds). A recent last-known fix
 * (under two minutes old) is used at once; otherwise one fresh fix is requested. The coordinates
 * go straight into the household form; nothing is logged.
 */
object LocationFetcher {
    private const val FRESH_MILLIS = 2 * 60_000L

    fun hasPermission(context: Context): Boolean =
        context.checkSelfPermission(Manifest.permission.ACCESS_FINE_LOCATION) == PackageManager.PERMISSION_GRANTED ||
            context.checkSelfPermission(Manifest.permission.ACCESS_COARSE_LOCATION) == PackageManager.PERMISSION_GRANTED

    /** Calls [onResult] on the main thread with a fix, or null if none can be had. */
    @SuppressLint("MissingPermission") // checked by hasPermission() first
    fun current(context: Context, onResult: (Location?) -> Unit) {
        if (!hasPermission(context)) return onResult(null)
        val lm = context.getSystemService(LocationManager::class.java) ?: return onResult(null)
        val provider = when {
            lm.isProviderEnabled(LocationManager.GPS_PROVIDER) -> LocationManager.GPS_PROVIDER
            lm.isProviderEnabled(LocationManager.NETWORK_PROVIDER) -> LocationManager.NETWORK_PROVIDER
            else -> return onResult(null)
        }
        val last = lm.getLastKnownLocation(provider)
        if (last != null && System.currentTimeMillis() - last.time < FRESH_MILLIS) return onResult(last)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
            lm.getCurrentLocation(provider, null, context.mainExecutor) { onResult(it ?: last) }
        } else {
            @Suppress("DEPRECATION")
            lm.requestSingleUpdate(provider, LocationListener { onResult(it) }, Looper.getMainLooper())
        }
    }
}
